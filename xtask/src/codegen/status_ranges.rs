//! Fix-up of progenitor's output: a status range's arm after the codes it contains.
//!
//! progenitor 0.15 sorts an operation's responses by a value that gives `4XX` the same rank
//! as `400`, so the arm `400u16..=499u16` lands between `400u16` and `401u16` and shadows
//! every 4xx code after it (rustc: "unreachable pattern"). Each `match` on a status is
//! reordered here so that a range comes after the codes it contains. When no arm needs
//! moving any more, generation fails, so that the fix-up is removed once progenitor sorts
//! ranges itself.

use anyhow::Result;

/// Where an arm's pattern goes: a code at its value, a range after its last code, the
/// wildcard last.
fn rank(pattern: &syn::Pat) -> Option<u32> {
    let value = |expr: &syn::Expr| match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(int),
            ..
        }) => int.base10_parse::<u32>().ok(),
        _ => None,
    };
    match pattern {
        syn::Pat::Lit(lit) => match &lit.lit {
            syn::Lit::Int(int) => int.base10_parse::<u32>().ok().map(|code| code * 2),
            _ => None,
        },
        syn::Pat::Range(range) => range.end.as_deref().and_then(value).map(|end| end * 2 + 1),
        syn::Pat::Wild(_) => Some(u32::MAX),
        _ => None,
    }
}

/// Reorders the arms of one `match` whose patterns are all status codes, ranges and `_`;
/// whether any arm moved.
fn reorder(arms: &mut [syn::Arm]) -> bool {
    let Some(ranks) = arms
        .iter()
        .map(|arm| rank(&arm.pat))
        .collect::<Option<Vec<u32>>>()
    else {
        return false;
    };
    if ranks.windows(2).all(|w| w[0] <= w[1]) {
        return false;
    }
    let mut ranked: Vec<(u32, syn::Arm)> = ranks.into_iter().zip(arms.iter().cloned()).collect();
    ranked.sort_by_key(|(rank, _)| *rank);
    for (slot, (_, arm)) in arms.iter_mut().zip(ranked) {
        *slot = arm;
    }
    true
}

/// The fix-up: every method's tail `match response.status().as_u16()`.
pub(super) fn order_status_ranges(file: &mut syn::File) -> Result<()> {
    let mut moved = 0;
    for item in &mut file.items {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        for member in &mut block.items {
            let syn::ImplItem::Fn(function) = member else {
                continue;
            };
            for statement in &mut function.block.stmts {
                if let syn::Stmt::Expr(syn::Expr::Match(matched), _) = statement
                    && reorder(&mut matched.arms)
                {
                    moved += 1;
                }
            }
        }
    }
    anyhow::ensure!(
        moved > 0,
        "fix-up no longer applies: progenitor puts every status range after its codes; \
         remove `status_ranges` from xtask"
    );
    Ok(())
}
