//! What the bench clients share.

use std::future::Future;

use anyhow::{anyhow, ensure};
use hyper::body::Bytes;
use serde_json::Value;

/// Every order number of the book, from the page's listing in pages of 1,000: `page(n)` fetches
/// `/api/carteira/pedidos?por_pagina=1000&pagina=n`. Fails when the listing ends short of its
/// `total`.
pub async fn order_numbers<F, Fut>(mut page: F) -> anyhow::Result<Vec<String>>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = anyhow::Result<Bytes>>,
{
    let mut orders: Vec<String> = Vec::new();
    for pagina in 1.. {
        let bytes = page(format!(
            "/api/carteira/pedidos?por_pagina=1000&pagina={pagina}"
        ))
        .await?;
        let page: Value = serde_json::from_slice(&bytes)?;
        let before = orders.len();
        orders.extend(
            page["pedidos"]
                .as_array()
                .ok_or_else(|| anyhow!("listing without `pedidos`"))?
                .iter()
                .filter_map(|o| o["num_pedido"].as_str().map(str::to_string)),
        );
        let total = page["total"].as_u64().unwrap_or(0) as usize;
        if orders.len() >= total || orders.len() == before {
            ensure!(
                orders.len() == total,
                "the listing holds {} of {} orders",
                orders.len(),
                total
            );
            break;
        }
    }
    Ok(orders)
}
