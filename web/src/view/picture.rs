//! A picture of the kernel state (SVG, drawn from the same rows the state table shows): the
//! VMAs of each process pointing at their pages, each page with its counters and flags, each
//! file's `i_mmap` with fake VMAs drawn dashed, the handles pointing at what they hold, and the
//! workqueue. What the selected step changed is highlighted. All text is text nodes.

use std::collections::BTreeMap;

use mm_model::kernel::{Api, Kernel, Pte, RmapEntry};
use yew::prelude::*;

use crate::logic::{changed_fields, page_rows};

/// Pages drawn at most (a 1 GiB mapping has 262,144): the rest are counted.
const MAX_PAGES: usize = 48;
const ROW: f64 = 46.0;
const TOP: f64 = 34.0;
const VMA_X: f64 = 8.0;
const VMA_W: f64 = 190.0;
const PAGE_X: f64 = 262.0;
const PAGE_W: f64 = 210.0;
const FILE_X: f64 = 536.0;
const FILE_W: f64 = 196.0;
const WIDTH: f64 = 740.0;

/// `1 page`, `2 pages`.
fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn fmt(x: f64) -> String {
    format!("{x:.1}")
}

fn label(x: f64, y: f64, class: &'static str, text: String) -> Html {
    html! { <text x={fmt(x)} y={fmt(y)} class={class}>{ text }</text> }
}

fn edge(x1: f64, y1: f64, x2: f64, y2: f64, class: &'static str) -> Html {
    let mx = (x1 + x2) / 2.0;
    html! { <path d={format!("M{},{} C{},{} {},{} {},{}", fmt(x1), fmt(y1), fmt(mx), fmt(y1), fmt(mx), fmt(y2), fmt(x2), fmt(y2))} class={class} /> }
}

/// The picture of `cur`, highlighting what changed since `prev`.
pub fn picture(title: String, prev: &Kernel, cur: &Kernel) -> Html {
    let prows = page_rows(prev);
    let rows = page_rows(cur);
    let changed = changed_fields(&prows, &rows);
    let shown: Vec<usize> = (0..rows.len()).take(MAX_PAGES).collect();
    let page_y: BTreeMap<u32, f64> = shown
        .iter()
        .enumerate()
        .map(|(i, &r)| (rows[r].pfn, TOP + i as f64 * ROW))
        .collect();
    let mut edges: Vec<Html> = Vec::new();
    let mut boxes: Vec<Html> = Vec::new();

    // Pages.
    for (i, &r) in shown.iter().enumerate() {
        let p = &rows[r];
        let y = TOP + i as f64 * ROW;
        let ch = &changed[r];
        let state = match p.state.as_str() {
            "freed" => "freed",
            "zombie" => "zombie",
            _ if p.owner.starts_with("orphan") || p.owner.starts_with("dax-freed") => "orphan",
            _ => "live",
        };
        let counters = format!(
            "ref {} · map {} · pin {}",
            p.refcount, p.mapcount, p.pincount
        );
        boxes.push(html! {
            <g class={classes!("pic-page", state, (!ch.is_empty()).then_some("changed"))}>
                <rect x={fmt(PAGE_X)} y={fmt(y)} width={fmt(PAGE_W)} height={fmt(ROW - 8.0)} rx="4" />
                { label(PAGE_X + 6.0, y + 14.0, "pic-b", format!("p{}  {}", p.pfn, p.owner)) }
                { label(PAGE_X + 6.0, y + 27.0, if ch.iter().any(|f| matches!(*f, "refcount" | "mapcount" | "pincount")) { "pic-hot" } else { "pic-t" }, counters) }
                <title>{ format!("p{}: {} · pinned? {} · {} · {}", p.pfn, p.flags, p.pinned, p.state, p.zone) }</title>
            </g>
        });
        if !p.flags.is_empty() {
            boxes.push(label(
                PAGE_X + PAGE_W - 4.0,
                y + 14.0,
                "pic-flags",
                p.flags.replace(" uptodate", "").replace("uptodate", ""),
            ));
        }
    }
    if rows.len() > shown.len() {
        let y = TOP + shown.len() as f64 * ROW;
        boxes.push(label(
            PAGE_X,
            y + 14.0,
            "pic-t",
            format!("… {} more pages", rows.len() - shown.len()),
        ));
    }

    // VMAs, per process, with an edge from each present PTE to its page.
    let mut vy = TOP;
    for v in &cur.vmas {
        if !v.live {
            continue;
        }
        let proc_name = cur
            .procs
            .get(v.proc_ as usize)
            .map_or("?", |p| p.name.as_str());
        let present = v
            .ptes
            .iter()
            .filter(|p| matches!(p, Some(Pte::Present { .. })))
            .count();
        boxes.push(html! {
            <g class="pic-vma">
                <rect x={fmt(VMA_X)} y={fmt(vy)} width={fmt(VMA_W)} height={fmt(ROW - 8.0)} rx="4" />
                { label(VMA_X + 6.0, vy + 14.0, "pic-b", format!("{proc_name}: {}", v.name)) }
                { label(VMA_X + 6.0, vy + 27.0, "pic-t", format!("{}, {present} mapped, {}", plural(v.pages as usize, "page"), if v.writable { "rw" } else { "ro" })) }
            </g>
        });
        for pte in v.ptes.iter().flatten() {
            if let Pte::Present { pfn, write, .. } = pte {
                if let Some(&py) = page_y.get(pfn) {
                    edges.push(edge(
                        VMA_X + VMA_W,
                        vy + 19.0,
                        PAGE_X,
                        py + 19.0,
                        if *write { "pic-e pte w" } else { "pic-e pte" },
                    ));
                }
            }
        }
        vy += ROW;
    }

    // Files: the i_mmap interval tree (fake VMAs dashed), the page cache's pages.
    let mut fy = TOP;
    for f in &cur.files {
        let entries: Vec<(u64, u64, RmapEntry)> = f.i_mmap.iter().collect();
        let h = 30.0 + 14.0 * entries.len().max(1) as f64;
        boxes.push(html! {
            <g class="pic-file">
                <rect x={fmt(FILE_X)} y={fmt(fy)} width={fmt(FILE_W)} height={fmt(h)} rx="4" />
                { label(FILE_X + 6.0, fy + 14.0, "pic-b", format!("{} ({}), i_mmap:", f.name, f.fs.name())) }
            </g>
        });
        if entries.is_empty() {
            boxes.push(label(
                FILE_X + 12.0,
                fy + 28.0,
                "pic-t",
                "(empty)".to_string(),
            ));
        }
        for (k, (s, l, e)) in entries.iter().enumerate() {
            let ey = fy + 28.0 + 14.0 * k as f64;
            match e {
                RmapEntry::Vma(id) => {
                    let name = cur.vmas.get(*id as usize).map_or("?", |v| v.name.as_str());
                    boxes.push(label(
                        FILE_X + 12.0,
                        ey,
                        "pic-t",
                        format!("[{s}..{l}] VMA {name}"),
                    ));
                }
                RmapEntry::Fake(id) => {
                    boxes.push(html! {
                        <g class="pic-fake">
                            <rect x={fmt(FILE_X + 8.0)} y={fmt(ey - 11.0)} width={fmt(FILE_W - 16.0)} height="14" rx="2" />
                            { label(FILE_X + 12.0, ey, "pic-t", format!("[{s}..{l}] FAKE F{id}")) }
                        </g>
                    });
                }
            }
        }
        for pfn in f.cache.values() {
            if let Some(&py) = page_y.get(pfn) {
                edges.push(edge(
                    FILE_X,
                    fy + 10.0,
                    PAGE_X + PAGE_W,
                    py + 10.0,
                    "pic-e cache",
                ));
            }
        }
        fy += h + 10.0;
    }

    // Handles: what each GUP reference or pin holds.
    for h in &cur.handles {
        let kind = match h.api {
            Api::Get => "get".to_string(),
            Api::Pin => "pin".to_string(),
            Api::Fake(id) => format!("fake F{id}"),
        };
        let live = h.pages.is_empty()
            || matches!(
                h.state,
                mm_model::kernel::HandleState::Live | mm_model::kernel::HandleState::Completing
            );
        boxes.push(html! {
            <g class={classes!("pic-handle", (!live).then_some("released"))}>
                <rect x={fmt(FILE_X)} y={fmt(fy)} width={fmt(FILE_W)} height="24" rx="12" />
                { label(FILE_X + 10.0, fy + 16.0, "pic-b", format!("{}: {kind} · {}", h.name, plural(h.pages.len(), "page"))) }
            </g>
        });
        if live {
            for pfn in &h.pages {
                if let Some(&py) = page_y.get(pfn) {
                    edges.push(edge(
                        FILE_X,
                        fy + 12.0,
                        PAGE_X + PAGE_W,
                        py + 27.0,
                        "pic-e hold",
                    ));
                }
            }
        }
        fy += 30.0;
    }
    if !cur.workqueue.is_empty() {
        boxes.push(label(
            FILE_X,
            fy + 14.0,
            "pic-hot",
            format!("workqueue: {} item(s) pending", cur.workqueue.len()),
        ));
        fy += 22.0;
    }

    let height = [
        TOP + shown.len().max(1) as f64 * ROW + 20.0,
        vy + 10.0,
        fy + 10.0,
    ]
    .into_iter()
    .fold(0.0, f64::max);
    html! {
        <figure class="picture">
            <figcaption>{ title.clone() }</figcaption>
            <svg viewBox={format!("0 0 {WIDTH} {}", fmt(height))} role="img" aria-label={title}>
                { label(VMA_X, 18.0, "pic-h", "VMAs (PTEs →)".to_string()) }
                { label(PAGE_X, 18.0, "pic-h", "pages".to_string()) }
                { label(FILE_X, 18.0, "pic-h", "files: i_mmap · handles".to_string()) }
                <g>{ for edges }</g>
                <g>{ for boxes }</g>
            </svg>
        </figure>
    }
}
