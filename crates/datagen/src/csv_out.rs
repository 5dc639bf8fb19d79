//! Writing a [`Dataset`] as the CSV files `ruptura import` reads (SPEC 4): one `<table>.csv` per
//! present table, `,` delimiter, `.` decimals, ISO dates, `true`/`false`, empty for null.

use std::io;
use std::path::Path;

use ruptura_engine::records::{Dataset, Rows};

/// Writes one `<table>.csv` per table present in `ds` into `dir` (created if missing). The header
/// row holds the column names of SPEC 4, the columns of the tables' layouts.
pub fn write_csv_dir(ds: &Dataset, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for rows in ds.tables() {
        write_table(dir, rows)?;
    }
    Ok(())
}

/// `<table>.csv`: the header, then each row's cells as files hold them (an empty cell for null,
/// which the import reads as null).
fn write_table(dir: &Path, rows: &dyn Rows) -> io::Result<()> {
    let layout = rows.layout();
    let mut writer = csv::Writer::from_path(dir.join(format!("{}.csv", layout.name)))?;
    writer.write_record(layout.columns.iter().map(|c| c.name))?;
    let mut cells = Vec::with_capacity(layout.columns.len());
    for row in 0..rows.len() {
        cells.clear();
        cells.extend((0..layout.columns.len()).map(|i| rows.cell(row, i).to_string()));
        writer.write_record(&cells)?;
    }
    writer.flush()
}
