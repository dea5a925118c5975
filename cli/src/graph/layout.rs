//! A layout of the construct-level picture that reads at README width, shared by the SVG
//! (`graph --format svg`) and the HTML page.
//!
//! Stacks are bands, top to bottom in deploy order, each holding its constructs in rows of
//! [`COLUMNS`] on one grid; externals that only send (the internet) are a row above, the
//! others a row below. The width is therefore fixed ([`WIDTH`]) whatever the app, and the
//! picture grows downwards. Links are routed orthogonally through the gaps: out of a node's
//! top or bottom into the horizontal gap next to its row, along a vertical gap between
//! columns, then through the gap next to the target's row into the target. Gaps hold no
//! nodes, so no link crosses a node; each gap gets as many tracks as its segments (and
//! their labels) need so that none overlap. Everything is integer and in model order: the
//! same model gives the same layout.

use serde::Serialize;

use super::architecture::Architecture;

/// Nodes per row.
pub const COLUMNS: i32 = 4;
/// A node's width.
pub const NODE_W: i32 = 164;
/// A node's height.
pub const NODE_H: i32 = 48;
/// The vertical gap between two columns.
const COL_GAP: i32 = 34;
/// Left and right of the grid: room for the stack boxes' borders and an outer gap.
const MARGIN: i32 = 34;
/// The picture's width, for every app: it fits a README (about 830 px on GitHub).
pub const WIDTH: i32 = 2 * MARGIN + COLUMNS * NODE_W + (COLUMNS - 1) * COL_GAP;
/// Space between a stack box and its nodes.
const BOX_PAD: i32 = 8;
/// The stack's name and CloudFormation name, above its first row.
const HEADER: i32 = 34;
/// Between two stack boxes.
const STACK_GAP: i32 = 10;
/// The title.
const TITLE: i32 = 30;
/// Between two tracks of a horizontal gap (a label sits above its track).
const TRACK: i32 = 12;
/// Between two tracks of a vertical gap, at most.
const V_TRACK: i32 = 5;
/// Width of one character of a 9 px label, on average.
const LABEL_CHAR: i32 = 5;

/// Where everything is drawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Layout {
    /// The picture's width.
    pub width: i32,
    /// The picture's height.
    pub height: i32,
    /// Each node's box, by index of the model's nodes.
    pub nodes: Vec<Rect>,
    /// Each drawn stack's box.
    pub stacks: Vec<StackBox>,
    /// Each link's route, by index of the model's links.
    pub links: Vec<Route>,
    /// The top left corner of the legend.
    pub legend: [i32; 2],
}

/// A box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rect {
    /// Left.
    pub x: i32,
    /// Top.
    pub y: i32,
    /// Width.
    pub w: i32,
    /// Height.
    pub h: i32,
}

/// The box of a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StackBox {
    /// Index of the stack.
    pub stack: usize,
    /// Where it is drawn.
    #[serde(flatten)]
    pub rect: Rect,
}

/// A link's path: horizontal and vertical segments through the gaps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    /// The corners, from the source's border to the target's.
    pub points: Vec<[i32; 2]>,
    /// Where the label's centre baseline goes (none without labels).
    pub label: Option<[i32; 2]>,
}

/// A row of the grid: its nodes with their columns, and its group (rows of one group
/// share the gap between them; a group's first row has a header when it holds stacks).
struct Row {
    group: usize,
    header: bool,
    cells: Vec<(usize, i32)>,
}

/// A horizontal segment waiting for its track: its link, extent and whether it carries
/// the label.
struct HSeg {
    link: usize,
    from: i32,
    to: i32,
    label_w: i32,
}

/// Lays `a` out.
pub fn layout(a: &Architecture) -> Layout {
    let rows = rows(a);
    let mut row_of = vec![0usize; a.nodes.len()];
    let mut col_of = vec![0i32; a.nodes.len()];
    for (r, row) in rows.iter().enumerate() {
        for &(n, c) in &row.cells {
            row_of[n] = r;
            col_of[n] = c;
        }
    }
    // Gaps between rows: above(r) and below(r); two rows of one group share the gap between.
    let mut above = vec![0usize; rows.len()];
    let mut below = vec![0usize; rows.len()];
    let mut gaps = 0usize;
    for r in 0..rows.len() {
        if r == 0 || rows[r - 1].group != rows[r].group {
            above[r] = gaps;
            gaps += 1;
        } else {
            above[r] = below[r - 1];
        }
        below[r] = gaps;
        gaps += 1;
    }
    let node_x = |n: usize| MARGIN + col_of[n] * (NODE_W + COL_GAP);
    let channel_x = |k: i32| match k {
        0 => MARGIN / 2 - 4,
        k if k == COLUMNS => WIDTH - MARGIN / 2 + 4,
        k => MARGIN + k * NODE_W + (k - 1) * COL_GAP + COL_GAP / 2,
    };

    // Plan each link: the gap it leaves by, the vertical channel (if any), the gap it
    // enters by, and the sides of the nodes.
    struct Plan {
        down_out: bool,
        first: usize,
        channel: Option<i32>,
        last: usize,
        down_in: bool,
    }
    // Vertical channels between the two columns (either side when they are the same), the
    // least used first.
    let mut load = vec![0usize; COLUMNS as usize + 1];
    let plans: Vec<Plan> = a
        .links
        .iter()
        .map(|l| {
            let (ra, rb) = (row_of[l.from], row_of[l.to]);
            let (ca, cb) = (col_of[l.from], col_of[l.to]);
            let (lo, hi) = if ca == cb {
                (ca, ca + 1)
            } else {
                (ca.min(cb) + 1, ca.max(cb))
            };
            let channel = (lo..=hi)
                .min_by_key(|&k| (load[k as usize], (k - ca).abs()))
                .unwrap_or(lo);
            let shared_gap = (ra < rb && below[ra] == above[rb])
                || (ra > rb && above[ra] == below[rb])
                || ra == rb;
            if !shared_gap {
                load[channel as usize] += 1;
            }
            if ra == rb {
                Plan {
                    down_out: true,
                    first: below[ra],
                    channel: None,
                    last: below[ra],
                    down_in: false,
                }
            } else if rb > ra {
                let shared = below[ra] == above[rb];
                Plan {
                    down_out: true,
                    first: below[ra],
                    channel: (!shared).then_some(channel),
                    last: above[rb],
                    down_in: true,
                }
            } else {
                let shared = above[ra] == below[rb];
                Plan {
                    down_out: false,
                    first: above[ra],
                    channel: (!shared).then_some(channel),
                    last: below[rb],
                    down_in: false,
                }
            }
        })
        .collect();

    // Ports: each node side spreads its links along its width, ordered by where they go.
    // (node, bottom side) -> (x it goes towards, link, whether the link leaves there).
    type Ends = Vec<(i32, usize, bool)>;
    let mut sides: std::collections::BTreeMap<(usize, bool), Ends> = Default::default();
    for (i, (l, p)) in a.links.iter().zip(&plans).enumerate() {
        let toward = |other: usize| {
            p.channel
                .map(channel_x)
                .unwrap_or(node_x(other) + NODE_W / 2)
        };
        // Bottom side when the link leaves downwards, or enters from below.
        sides
            .entry((l.from, p.down_out))
            .or_default()
            .push((toward(l.to), i, true));
        sides
            .entry((l.to, !p.down_in))
            .or_default()
            .push((toward(l.from), i, false));
    }
    let mut port_out = vec![0i32; a.links.len()];
    let mut port_in = vec![0i32; a.links.len()];
    for ((n, bottom), mut ends) in sides {
        ends.sort();
        let count = ends.len() as i32;
        let shift = if bottom { 3 } else { -3 };
        for (k, (_, link, out)) in ends.into_iter().enumerate() {
            let x = node_x(n) + (k as i32 + 1) * NODE_W / (count + 1) + shift;
            if out {
                port_out[link] = x;
            } else {
                port_in[link] = x;
            }
        }
    }

    // Horizontal segments per gap, vertical ones per channel; the label goes on the
    // longest horizontal segment.
    let mut hsegs: Vec<Vec<HSeg>> = (0..gaps).map(|_| Vec::new()).collect();
    let mut vsegs: std::collections::BTreeMap<i32, Vec<(usize, usize, usize)>> = Default::default();
    for (i, (l, p)) in a.links.iter().zip(&plans).enumerate() {
        let label_w = if l.labels.is_empty() {
            0
        } else {
            label_text(&l.labels).chars().count() as i32 * LABEL_CHAR + 8
        };
        match p.channel {
            None => hsegs[p.first].push(HSeg {
                link: i,
                from: port_out[i],
                to: port_in[i],
                label_w,
            }),
            Some(k) => {
                let x = channel_x(k);
                let first_len = (x - port_out[i]).abs();
                let last_len = (port_in[i] - x).abs();
                let on_first = first_len >= last_len;
                hsegs[p.first].push(HSeg {
                    link: i,
                    from: port_out[i],
                    to: x,
                    label_w: if on_first { label_w } else { 0 },
                });
                hsegs[p.last].push(HSeg {
                    link: i,
                    from: x,
                    to: port_in[i],
                    label_w: if on_first { 0 } else { label_w },
                });
                let (g1, g2) = (p.first.min(p.last), p.first.max(p.last));
                vsegs.entry(k).or_default().push((g1, g2, i));
            }
        }
    }
    // Track of each (link, gap), and label centres.
    let mut track: std::collections::BTreeMap<(usize, usize), i32> = Default::default();
    let mut label_x: Vec<Option<i32>> = vec![None; a.links.len()];
    let mut label_gap: Vec<usize> = vec![0; a.links.len()];
    let mut tracks_in = vec![1i32; gaps];
    for (g, segs) in hsegs.iter().enumerate() {
        let mut spans: Vec<(i32, i32, usize)> = segs
            .iter()
            .map(|s| {
                let (lo, hi) = (s.from.min(s.to), s.from.max(s.to));
                if s.label_w == 0 {
                    return (lo, hi, s.link);
                }
                let centre = ((lo + hi) / 2).clamp(s.label_w / 2 + 2, WIDTH - s.label_w / 2 - 2);
                label_x[s.link] = Some(centre);
                label_gap[s.link] = g;
                (
                    lo.min(centre - s.label_w / 2),
                    hi.max(centre + s.label_w / 2),
                    s.link,
                )
            })
            .collect();
        spans.sort();
        let assigned = assign(&spans, 6);
        for ((_, _, link), t) in spans.iter().zip(&assigned) {
            track.insert((*link, g), *t);
        }
        tracks_in[g] = assigned.iter().max().map_or(1, |m| m + 1);
    }
    let mut vtrack: std::collections::BTreeMap<usize, i32> = Default::default();
    let mut channel_tracks: std::collections::BTreeMap<i32, i32> = Default::default();
    for (k, segs) in &mut vsegs {
        segs.sort();
        let spans: Vec<(i32, i32, usize)> = segs
            .iter()
            .map(|(a, b, l)| (*a as i32, *b as i32, *l))
            .collect();
        let assigned = assign(&spans, 0);
        for ((_, _, link), t) in spans.iter().zip(&assigned) {
            vtrack.insert(*link, *t);
        }
        channel_tracks.insert(*k, assigned.iter().max().map_or(1, |m| m + 1));
    }

    // Heights: title, then per row its gaps and boxes.
    let gap_h = |g: usize| 10 + tracks_in[g] * TRACK;
    let mut gap_y = vec![0i32; gaps];
    let mut nodes = vec![
        Rect {
            x: 0,
            y: 0,
            w: NODE_W,
            h: NODE_H
        };
        a.nodes.len()
    ];
    let mut header_y = vec![0i32; rows.len()];
    let mut y = TITLE;
    for (r, row) in rows.iter().enumerate() {
        let first = r == 0 || rows[r - 1].group != row.group;
        let last = r + 1 == rows.len() || rows[r + 1].group != row.group;
        if first {
            header_y[r] = y;
            if row.header {
                y += HEADER;
            }
            gap_y[above[r]] = y;
            y += gap_h(above[r]);
        } else {
            header_y[r] = header_y[r - 1];
        }
        for &(n, _) in &row.cells {
            nodes[n] = Rect {
                x: node_x(n),
                y,
                w: NODE_W,
                h: NODE_H,
            };
        }
        y += NODE_H;
        gap_y[below[r]] = y;
        y += gap_h(below[r]);
        if last {
            if row.header {
                y += BOX_PAD;
            }
            y += STACK_GAP;
        }
    }
    // A stack's box: around its columns, from its header to below its last row's gap.
    let mut stacks = Vec::new();
    for si in 0..a.stacks.len() {
        let members: Vec<usize> = (0..a.nodes.len())
            .filter(|&i| a.nodes[i].stack == Some(si))
            .collect();
        let (Some(&first), Some(&last)) = (members.first(), members.last()) else {
            continue;
        };
        let c0 = members.iter().map(|&n| col_of[n]).min().unwrap_or(0);
        let c1 = members.iter().map(|&n| col_of[n]).max().unwrap_or(0);
        let top = header_y[row_of[first]];
        let bottom = gap_y[below[row_of[last]]] + gap_h(below[row_of[last]]) + BOX_PAD;
        let left = MARGIN + c0 * (NODE_W + COL_GAP) - BOX_PAD;
        let right = MARGIN + c1 * (NODE_W + COL_GAP) + NODE_W + BOX_PAD;
        stacks.push(StackBox {
            stack: si,
            rect: Rect {
                x: left,
                y: top,
                w: right - left,
                h: bottom - top,
            },
        });
    }
    let track_y =
        |link: usize, g: usize| gap_y[g] + 12 + track.get(&(link, g)).copied().unwrap_or(0) * TRACK;
    let vx = |link: usize, k: i32| {
        let n = channel_tracks.get(&k).copied().unwrap_or(1);
        let room = if k == 0 || k == COLUMNS {
            MARGIN / 2
        } else {
            COL_GAP - 8
        };
        let step = V_TRACK.min(room / n.max(1));
        let t = vtrack.get(&link).copied().unwrap_or(0);
        channel_x(k) + (t - (n - 1) / 2) * step
    };
    let links = a
        .links
        .iter()
        .zip(&plans)
        .enumerate()
        .map(|(i, (l, p))| {
            let (na, nb) = (nodes[l.from], nodes[l.to]);
            let start_y = if p.down_out { na.y + na.h } else { na.y };
            let end_y = if p.down_in { nb.y } else { nb.y + nb.h };
            let t1 = track_y(i, p.first);
            let mut points = vec![[port_out[i], start_y], [port_out[i], t1]];
            if let Some(k) = p.channel {
                let x = vx(i, k);
                let t2 = track_y(i, p.last);
                points.extend([[x, t1], [x, t2], [port_in[i], t2]]);
            } else {
                points.push([port_in[i], t1]);
            }
            points.push([port_in[i], end_y]);
            let label = label_x[i].map(|x| [x, track_y(i, label_gap[i]) - 3]);
            Route { points, label }
        })
        .collect();
    Layout {
        width: WIDTH,
        height: y + legend_height(a),
        nodes,
        stacks,
        links,
        legend: [MARGIN - BOX_PAD, y],
    }
}

/// The label of a link, one line.
pub fn label_text(labels: &[String]) -> String {
    labels.join(", ")
}

/// Room for the legend: its lines and padding.
fn legend_height(a: &Architecture) -> i32 {
    legend_lines(a) as i32 * LEGEND_LINE + 12
}

/// Height of a legend line.
pub const LEGEND_LINE: i32 = 14;

/// The legend's lines: a heading, the link kinds drawn, a line for removed links, the
/// change colours shown.
pub fn legend_lines(a: &Architecture) -> usize {
    use std::collections::BTreeSet;
    let kinds: BTreeSet<_> = a.links.iter().map(|l| l.kind).collect();
    let statuses: BTreeSet<_> = a.nodes.iter().filter_map(|n| n.status).collect();
    let removed = a
        .links
        .iter()
        .any(|l| l.status == Some(super::ChangeStatus::Removed));
    1 + kinds.len() + usize::from(removed) + statuses.len()
}

/// Rows: externals that only send (the internet), then the stacks in deploy order (a
/// stack of more than [`COLUMNS`] nodes fills rows of its own, smaller consecutive stacks
/// share a row side by side), then the other externals.
fn rows(a: &Architecture) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    // Rows of one group: `cells` in rows of COLUMNS, in their order.
    let push = |out: &mut Vec<Row>, cells: Vec<(usize, i32)>, header: bool| {
        let group = out.last().map_or(0, |r| r.group + 1);
        for chunk in cells.chunks(COLUMNS as usize) {
            out.push(Row {
                group,
                header,
                cells: chunk
                    .iter()
                    .enumerate()
                    .map(|(k, &(n, _))| (n, k as i32))
                    .collect(),
            });
        }
    };
    let externals: Vec<usize> = (0..a.nodes.len())
        .filter(|&i| a.nodes[i].stack.is_none())
        .collect();
    let only_sends = |i: &usize| a.links.iter().all(|l| l.to != *i);
    let cells = |nodes: &[usize]| -> Vec<(usize, i32)> { nodes.iter().map(|&n| (n, 0)).collect() };
    let senders: Vec<usize> = externals.iter().copied().filter(only_sends).collect();
    push(&mut out, cells(&senders), false);
    // Small stacks waiting to share a row.
    let mut shared: Vec<(usize, i32)> = Vec::new();
    for si in 0..a.stacks.len() {
        let members: Vec<usize> = (0..a.nodes.len())
            .filter(|&i| a.nodes[i].stack == Some(si))
            .collect();
        if members.is_empty() {
            continue;
        }
        if shared.len() + members.len() > COLUMNS as usize && !shared.is_empty() {
            push(&mut out, std::mem::take(&mut shared), true);
        }
        if members.len() > COLUMNS as usize {
            push(&mut out, cells(&members), true);
        } else {
            shared.extend(cells(&members));
        }
    }
    if !shared.is_empty() {
        push(&mut out, shared, true);
    }
    let others: Vec<usize> = externals
        .iter()
        .copied()
        .filter(|i| !only_sends(i))
        .collect();
    push(&mut out, cells(&others), false);
    out
}

/// Tracks for `spans` (sorted `(start, end, _)`): the lowest track whose last span ends
/// `clearance` before this one starts.
fn assign(spans: &[(i32, i32, usize)], clearance: i32) -> Vec<i32> {
    let mut ends: Vec<i32> = Vec::new();
    spans
        .iter()
        .map(|&(start, end, _)| {
            let t = match ends.iter().position(|&e| e + clearance < start) {
                Some(t) => t,
                None => {
                    ends.push(i32::MIN);
                    ends.len() - 1
                }
            };
            ends[t] = end;
            t as i32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_spans_get_different_tracks() {
        let spans = [(0, 10, 0), (5, 20, 1), (12, 30, 2), (25, 40, 3)];
        assert_eq!(assign(&spans, 0), [0, 1, 0, 1]);
        // Touching spans need the clearance.
        assert_eq!(assign(&[(0, 10, 0), (12, 20, 1)], 6), [0, 1]);
    }
}
