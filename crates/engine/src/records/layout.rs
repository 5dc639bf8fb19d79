//! One description per table: its name, its columns in order (name, kind, whether an import
//! needs it, the other name the seed's schema gives it) and, for each row, the value under each
//! column. The import's header, both stores' inserts and the CSV files are all made from these
//! descriptions, so a table's columns are written out once, here.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{CarteiraRow, Dataset, MovimentacaoRow, ProgramacaoRow, SeparacaoRow, UnificacaoRow};

/// What a column holds, and so how files and stores write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The row id: a positive integer, or none (the store assigns one on insert).
    Id,
    Text,
    /// NUMERIC(15,3); integer thousandths on SQLite.
    Quantity,
    /// NUMERIC(15,2); integer cents on SQLite.
    Price,
    Date,
    /// A flag; `default` is what an absent column or an empty cell of a file means.
    Flag {
        default: bool,
    },
}

/// One column of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    /// An import refuses a file without this column, and a row with it empty.
    pub required: bool,
    /// Another header name an import reads as this column when `name` itself is absent (the
    /// names of the seed's schema, such as `municipio` for `nome_cidade`).
    pub alias: Option<&'static str>,
}

impl Column {
    const fn optional(name: &'static str, kind: Kind) -> Self {
        Column {
            name,
            kind,
            required: false,
            alias: None,
        }
    }

    const fn required(name: &'static str, kind: Kind) -> Self {
        Column {
            required: true,
            ..Column::optional(name, kind)
        }
    }

    /// An optional text column with another name in the seed's schema.
    const fn aliased(name: &'static str, alias: &'static str) -> Self {
        Column {
            alias: Some(alias),
            ..Column::optional(name, Kind::Text)
        }
    }
}

/// A table's name and columns, in the order of its files' headers and of its inserts.
#[derive(Debug, PartialEq, Eq)]
pub struct Layout {
    pub name: &'static str,
    pub columns: &'static [Column],
}

impl Layout {
    /// The position of the id column.
    pub fn id_column(&self) -> Option<usize> {
        self.columns.iter().position(|c| c.kind == Kind::Id)
    }
}

/// The value of one cell, borrowed from its row. `None` is SQL NULL, an empty cell in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Id(Option<i64>),
    Text(Option<&'a str>),
    /// A quantity or a price.
    Decimal(Option<Decimal>),
    Date(Option<NaiveDate>),
    Flag(bool),
    /// Past the last column.
    Null,
}

impl<'a> Value<'a> {
    fn text_of(text: &'a str) -> Self {
        Value::Text(Some(text))
    }

    fn opt_text(text: &'a Option<String>) -> Self {
        Value::Text(text.as_deref())
    }

    /// The id, `None` for any other kind of value.
    pub fn id(self) -> Option<i64> {
        match self {
            Value::Id(id) => id,
            _ => None,
        }
    }

    pub fn text(self) -> Option<&'a str> {
        match self {
            Value::Text(text) => text,
            _ => None,
        }
    }

    pub fn decimal(self) -> Option<Decimal> {
        match self {
            Value::Decimal(value) => value,
            _ => None,
        }
    }

    pub fn date(self) -> Option<NaiveDate> {
        match self {
            Value::Date(date) => date,
            _ => None,
        }
    }

    pub fn flag(self) -> Option<bool> {
        match self {
            Value::Flag(flag) => Some(flag),
            _ => None,
        }
    }
}

/// The text a file holds for the value (SPEC 4): `.` decimals, ISO dates, `true`/`false`, and
/// nothing for null.
impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Id(Some(id)) => id.fmt(f),
            Value::Text(Some(text)) => f.write_str(text),
            Value::Decimal(Some(value)) => value.fmt(f),
            Value::Date(Some(date)) => date.fmt(f),
            Value::Flag(flag) => flag.fmt(f),
            Value::Id(None)
            | Value::Text(None)
            | Value::Decimal(None)
            | Value::Date(None)
            | Value::Null => Ok(()),
        }
    }
}

/// A row of one of the five tables.
pub trait Record: Sync {
    /// The row's table.
    const LAYOUT: &'static Layout;

    /// The value under column `column` (an index into the layout's columns); [`Value::Null`]
    /// past the last one.
    fn cell(&self, column: usize) -> Value<'_>;

    /// The table's place in a dataset.
    fn slot(data: &mut Dataset) -> &mut Option<Vec<Self>>
    where
        Self: Sized;

    /// A row made of the values `cells` gives for each column (an empty required value becomes
    /// the type's default: the source has reported it).
    fn read(cells: &mut impl CellSource) -> Self
    where
        Self: Sized;
}

/// Where a row's values come from, column by column (an import's reader of one line of a file).
pub trait CellSource {
    fn id(&mut self, column: usize) -> Option<i64>;
    fn text(&mut self, column: usize) -> Option<String>;
    /// A quantity or a price.
    fn decimal(&mut self, column: usize) -> Option<Decimal>;
    fn date(&mut self, column: usize) -> Option<NaiveDate>;
    fn flag(&mut self, column: usize) -> bool;
}

/// The rows of one table, whichever it is: what the writers take.
pub trait Rows: Sync {
    fn layout(&self) -> &'static Layout;

    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of row `row` under column `column`.
    fn cell(&self, row: usize, column: usize) -> Value<'_>;
}

impl<R: Record> Rows for Vec<R> {
    fn layout(&self) -> &'static Layout {
        R::LAYOUT
    }

    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn cell(&self, row: usize, column: usize) -> Value<'_> {
        self.get(row).map_or(Value::Null, |r| r.cell(column))
    }
}

/// `carteira_principal`.
pub const CARTEIRA: Layout = Layout {
    name: "carteira_principal",
    columns: &[
        Column::optional("id", Kind::Id),
        Column::required("num_pedido", Kind::Text),
        Column::required("cod_produto", Kind::Text),
        Column::optional("nome_produto", Kind::Text),
        Column::required("qtd_saldo_produto_pedido", Kind::Quantity),
        Column::optional("preco_produto_pedido", Kind::Price),
        Column::optional("ativo", Kind::Flag { default: true }),
        Column::aliased("raz_social_red", "raz_social"),
        Column::optional("cnpj_cpf", Kind::Text),
        Column::aliased("nome_cidade", "municipio"),
        Column::aliased("cod_uf", "estado"),
        Column::optional("vendedor", Kind::Text),
        Column::optional("equipe_vendas", Kind::Text),
        Column::optional("data_pedido", Kind::Date),
        Column::optional("expedicao", Kind::Date),
        Column::optional("agendamento", Kind::Date),
    ],
};

impl Record for CarteiraRow {
    const LAYOUT: &'static Layout = &CARTEIRA;

    fn cell(&self, column: usize) -> Value<'_> {
        match column {
            0 => Value::Id(self.id),
            1 => Value::text_of(&self.num_pedido),
            2 => Value::text_of(&self.cod_produto),
            3 => Value::text_of(&self.nome_produto),
            4 => Value::Decimal(Some(self.qtd_saldo_produto_pedido)),
            5 => Value::Decimal(self.preco_produto_pedido),
            6 => Value::Flag(self.ativo),
            7 => Value::opt_text(&self.raz_social_red),
            8 => Value::opt_text(&self.cnpj_cpf),
            9 => Value::opt_text(&self.nome_cidade),
            10 => Value::opt_text(&self.cod_uf),
            11 => Value::opt_text(&self.vendedor),
            12 => Value::opt_text(&self.equipe_vendas),
            13 => Value::Date(self.data_pedido),
            14 => Value::Date(self.expedicao),
            15 => Value::Date(self.agendamento),
            _ => Value::Null,
        }
    }

    fn slot(data: &mut Dataset) -> &mut Option<Vec<Self>> {
        &mut data.carteira_principal
    }

    fn read(cells: &mut impl CellSource) -> Self {
        CarteiraRow {
            id: cells.id(0),
            num_pedido: cells.text(1).unwrap_or_default(),
            cod_produto: cells.text(2).unwrap_or_default(),
            nome_produto: cells.text(3).unwrap_or_default(),
            qtd_saldo_produto_pedido: cells.decimal(4).unwrap_or_default(),
            preco_produto_pedido: cells.decimal(5),
            ativo: cells.flag(6),
            raz_social_red: cells.text(7),
            cnpj_cpf: cells.text(8),
            nome_cidade: cells.text(9),
            cod_uf: cells.text(10),
            vendedor: cells.text(11),
            equipe_vendas: cells.text(12),
            data_pedido: cells.date(13),
            expedicao: cells.date(14),
            agendamento: cells.date(15),
        }
    }
}

/// `movimentacao_estoque`.
pub const MOVIMENTACAO: Layout = Layout {
    name: "movimentacao_estoque",
    columns: &[
        Column::optional("id", Kind::Id),
        Column::required("cod_produto", Kind::Text),
        Column::optional("nome_produto", Kind::Text),
        Column::optional("data_movimentacao", Kind::Date),
        Column::optional("tipo_movimentacao", Kind::Text),
        Column::required("qtd_movimentacao", Kind::Quantity),
        Column::optional("ativo", Kind::Flag { default: true }),
    ],
};

impl Record for MovimentacaoRow {
    const LAYOUT: &'static Layout = &MOVIMENTACAO;

    fn cell(&self, column: usize) -> Value<'_> {
        match column {
            0 => Value::Id(self.id),
            1 => Value::text_of(&self.cod_produto),
            2 => Value::opt_text(&self.nome_produto),
            3 => Value::Date(self.data_movimentacao),
            4 => Value::opt_text(&self.tipo_movimentacao),
            5 => Value::Decimal(Some(self.qtd_movimentacao)),
            6 => Value::Flag(self.ativo),
            _ => Value::Null,
        }
    }

    fn slot(data: &mut Dataset) -> &mut Option<Vec<Self>> {
        &mut data.movimentacao_estoque
    }

    fn read(cells: &mut impl CellSource) -> Self {
        MovimentacaoRow {
            id: cells.id(0),
            cod_produto: cells.text(1).unwrap_or_default(),
            nome_produto: cells.text(2),
            data_movimentacao: cells.date(3),
            tipo_movimentacao: cells.text(4),
            qtd_movimentacao: cells.decimal(5).unwrap_or_default(),
            ativo: cells.flag(6),
        }
    }
}

/// `separacao`.
pub const SEPARACAO: Layout = Layout {
    name: "separacao",
    columns: &[
        Column::optional("id", Kind::Id),
        Column::optional("separacao_lote_id", Kind::Text),
        Column::optional("num_pedido", Kind::Text),
        Column::required("cod_produto", Kind::Text),
        Column::required("qtd_saldo", Kind::Quantity),
        Column::optional("expedicao", Kind::Date),
        Column::optional("sincronizado_nf", Kind::Flag { default: false }),
    ],
};

impl Record for SeparacaoRow {
    const LAYOUT: &'static Layout = &SEPARACAO;

    fn cell(&self, column: usize) -> Value<'_> {
        match column {
            0 => Value::Id(self.id),
            1 => Value::opt_text(&self.separacao_lote_id),
            2 => Value::opt_text(&self.num_pedido),
            3 => Value::text_of(&self.cod_produto),
            4 => Value::Decimal(Some(self.qtd_saldo)),
            5 => Value::Date(self.expedicao),
            6 => Value::Flag(self.sincronizado_nf),
            _ => Value::Null,
        }
    }

    fn slot(data: &mut Dataset) -> &mut Option<Vec<Self>> {
        &mut data.separacao
    }

    fn read(cells: &mut impl CellSource) -> Self {
        SeparacaoRow {
            id: cells.id(0),
            separacao_lote_id: cells.text(1),
            num_pedido: cells.text(2),
            cod_produto: cells.text(3).unwrap_or_default(),
            qtd_saldo: cells.decimal(4).unwrap_or_default(),
            expedicao: cells.date(5),
            sincronizado_nf: cells.flag(6),
        }
    }
}

/// `programacao_producao`.
pub const PROGRAMACAO: Layout = Layout {
    name: "programacao_producao",
    columns: &[
        Column::optional("id", Kind::Id),
        Column::required("cod_produto", Kind::Text),
        Column::optional("nome_produto", Kind::Text),
        Column::required("data_programacao", Kind::Date),
        Column::required("qtd_programada", Kind::Quantity),
        Column::optional("linha_producao", Kind::Text),
    ],
};

impl Record for ProgramacaoRow {
    const LAYOUT: &'static Layout = &PROGRAMACAO;

    fn cell(&self, column: usize) -> Value<'_> {
        match column {
            0 => Value::Id(self.id),
            1 => Value::text_of(&self.cod_produto),
            2 => Value::opt_text(&self.nome_produto),
            3 => Value::Date(Some(self.data_programacao)),
            4 => Value::Decimal(Some(self.qtd_programada)),
            5 => Value::opt_text(&self.linha_producao),
            _ => Value::Null,
        }
    }

    fn slot(data: &mut Dataset) -> &mut Option<Vec<Self>> {
        &mut data.programacao_producao
    }

    fn read(cells: &mut impl CellSource) -> Self {
        ProgramacaoRow {
            id: cells.id(0),
            cod_produto: cells.text(1).unwrap_or_default(),
            nome_produto: cells.text(2),
            data_programacao: cells.date(3).unwrap_or_default(),
            qtd_programada: cells.decimal(4).unwrap_or_default(),
            linha_producao: cells.text(5),
        }
    }
}

/// `unificacao_codigos`.
pub const UNIFICACAO: Layout = Layout {
    name: "unificacao_codigos",
    columns: &[
        Column::optional("id", Kind::Id),
        Column::required("codigo_origem", Kind::Text),
        Column::required("codigo_destino", Kind::Text),
        Column::optional("ativo", Kind::Flag { default: true }),
    ],
};

impl Record for UnificacaoRow {
    const LAYOUT: &'static Layout = &UNIFICACAO;

    fn cell(&self, column: usize) -> Value<'_> {
        match column {
            0 => Value::Id(self.id),
            1 => Value::text_of(&self.codigo_origem),
            2 => Value::text_of(&self.codigo_destino),
            3 => Value::Flag(self.ativo),
            _ => Value::Null,
        }
    }

    fn slot(data: &mut Dataset) -> &mut Option<Vec<Self>> {
        &mut data.unificacao_codigos
    }

    fn read(cells: &mut impl CellSource) -> Self {
        UnificacaoRow {
            id: cells.id(0),
            codigo_origem: cells.text(1).unwrap_or_default(),
            codigo_destino: cells.text(2).unwrap_or_default(),
            ativo: cells.flag(3),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `value` is of the kind `kind` holds.
    fn fits(kind: Kind, value: Value<'_>) -> bool {
        matches!(
            (kind, value),
            (Kind::Id, Value::Id(_))
                | (Kind::Text, Value::Text(_))
                | (Kind::Quantity | Kind::Price, Value::Decimal(_))
                | (Kind::Date, Value::Date(_))
                | (Kind::Flag { .. }, Value::Flag(_))
        )
    }

    fn check<R: Record>(row: &R) {
        let layout = R::LAYOUT;
        for (i, column) in layout.columns.iter().enumerate() {
            assert!(
                fits(column.kind, row.cell(i)),
                "{}.{}: {:?} under a {:?} column",
                layout.name,
                column.name,
                row.cell(i),
                column.kind
            );
        }
        assert_eq!(
            row.cell(layout.columns.len()),
            Value::Null,
            "{}",
            layout.name
        );
        assert_eq!(layout.id_column(), Some(0), "{}", layout.name);
    }

    /// The cells of a row, read back as a source.
    struct Cells<'a, R>(&'a R);

    impl<R: Record> CellSource for Cells<'_, R> {
        fn id(&mut self, column: usize) -> Option<i64> {
            self.0.cell(column).id()
        }
        fn text(&mut self, column: usize) -> Option<String> {
            self.0.cell(column).text().map(str::to_owned)
        }
        fn decimal(&mut self, column: usize) -> Option<Decimal> {
            self.0.cell(column).decimal()
        }
        fn date(&mut self, column: usize) -> Option<NaiveDate> {
            self.0.cell(column).date()
        }
        fn flag(&mut self, column: usize) -> bool {
            self.0.cell(column).flag().unwrap_or_default()
        }
    }

    /// Every field filled with a value of its own, so that a field read from another column
    /// shows.
    #[test]
    fn a_row_read_from_its_own_cells_is_the_same_row() {
        let text = |s: &str| Some(s.to_owned());
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d);
        let carteira = CarteiraRow {
            id: Some(1),
            num_pedido: "P1".into(),
            cod_produto: "A".into(),
            nome_produto: "Produto A".into(),
            qtd_saldo_produto_pedido: Decimal::new(2_500, 3),
            preco_produto_pedido: Some(Decimal::new(1_999, 2)),
            ativo: true,
            raz_social_red: text("Cliente"),
            cnpj_cpf: text("123"),
            nome_cidade: text("Campinas"),
            cod_uf: text("SP"),
            vendedor: text("Ana"),
            equipe_vendas: text("Sul"),
            data_pedido: day(1),
            expedicao: day(2),
            agendamento: day(3),
        };
        assert_eq!(CarteiraRow::read(&mut Cells(&carteira)), carteira);
        let movimentacao = MovimentacaoRow {
            id: Some(2),
            cod_produto: "A".into(),
            nome_produto: text("Produto A"),
            data_movimentacao: day(4),
            tipo_movimentacao: text("ENTRADA"),
            qtd_movimentacao: Decimal::new(-5, 0),
            ativo: true,
        };
        assert_eq!(
            MovimentacaoRow::read(&mut Cells(&movimentacao)),
            movimentacao
        );
        let separacao = SeparacaoRow {
            id: Some(3),
            separacao_lote_id: text("L1"),
            num_pedido: text("P1"),
            cod_produto: "A".into(),
            qtd_saldo: Decimal::new(7, 0),
            expedicao: day(5),
            sincronizado_nf: true,
        };
        assert_eq!(SeparacaoRow::read(&mut Cells(&separacao)), separacao);
        let programacao = ProgramacaoRow {
            id: Some(4),
            cod_produto: "A".into(),
            nome_produto: text("Produto A"),
            data_programacao: NaiveDate::from_ymd_opt(2026, 3, 6).unwrap(),
            qtd_programada: Decimal::new(9, 0),
            linha_producao: text("L2"),
        };
        assert_eq!(ProgramacaoRow::read(&mut Cells(&programacao)), programacao);
        let unificacao = UnificacaoRow {
            id: Some(5),
            codigo_origem: "A".into(),
            codigo_destino: "B".into(),
            ativo: true,
        };
        assert_eq!(UnificacaoRow::read(&mut Cells(&unificacao)), unificacao);
    }

    #[test]
    fn every_cell_is_of_its_columns_kind() {
        check(&CarteiraRow::default());
        check(&MovimentacaoRow::default());
        check(&SeparacaoRow::default());
        check(&ProgramacaoRow {
            id: None,
            cod_produto: String::new(),
            nome_produto: None,
            data_programacao: NaiveDate::from_ymd_opt(2026, 3, 6).unwrap(),
            qtd_programada: Decimal::ZERO,
            linha_producao: None,
        });
        check(&UnificacaoRow::default());
    }

    #[test]
    fn a_cell_is_written_as_files_hold_it() {
        let row = CarteiraRow {
            id: Some(7),
            qtd_saldo_produto_pedido: Decimal::new(12_500, 3),
            data_pedido: NaiveDate::from_ymd_opt(2026, 3, 5),
            ..CarteiraRow::default()
        };
        let shown: Vec<String> = (0..CARTEIRA.columns.len())
            .map(|i| row.cell(i).to_string())
            .collect();
        assert_eq!(shown[0], "7");
        assert_eq!(shown[4], "12.500");
        assert_eq!(shown[5], "");
        assert_eq!(shown[6], "false");
        assert_eq!(shown[13], "2026-03-05");
    }
}
