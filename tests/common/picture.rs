//! Geometry of a drawn picture (the SVG of `graph --format svg`, or the DOM of the HTML page
//! after its script ran): node boxes and link paths, and which links cross a node.
#![allow(dead_code)] // Only the graph tests draw pictures.

/// A node's box: index, left, top, width, height.
pub type Box = (usize, f64, f64, f64, f64);

/// A link: source and target node indexes, and its corners.
pub type Path = (usize, usize, Vec<(f64, f64)>);

/// The value of attribute `name` in the tag text `tag`.
pub fn attr<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// The texts of the tags starting with `open` (`<rect class="node"`), up to their `>`.
pub fn tags<'t>(text: &'t str, open: &str) -> Vec<&'t str> {
    text.split(open)
        .skip(1)
        .map(|s| &s[..s.find('>').unwrap_or(s.len())])
        .collect()
}

fn num(s: Option<&str>) -> f64 {
    s.and_then(|s| s.parse().ok()).expect("a number")
}

/// The node boxes and link paths of an SVG written by `graph --format svg`.
pub fn from_svg(svg: &str) -> (Vec<Box>, Vec<Path>) {
    let boxes = tags(svg, "<rect class=\"node\"")
        .into_iter()
        .map(|t| {
            let t = format!(" {t}");
            (
                num(attr(&t, "data-index")) as usize,
                num(attr(&t, "x")),
                num(attr(&t, "y")),
                num(attr(&t, "width")),
                num(attr(&t, "height")),
            )
        })
        .collect();
    let paths = tags(svg, "<polyline class=\"link\"")
        .into_iter()
        .map(|t| {
            let t = format!(" {t}");
            let points = attr(&t, "points")
                .expect("points")
                .split(' ')
                .map(|p| {
                    let (x, y) = p.split_once(',').expect("x,y");
                    (x.parse().expect("x"), y.parse().expect("y"))
                })
                .collect();
            (
                num(attr(&t, "data-from")) as usize,
                num(attr(&t, "data-to")) as usize,
                points,
            )
        })
        .collect();
    (boxes, paths)
}

/// The node boxes and link paths in the DOM of the HTML page after its script ran.
pub fn from_dom(dom: &str) -> (Vec<Box>, Vec<Path>) {
    let boxes = dom
        .split("<g class=\"node ")
        .skip(1)
        .map(|g| {
            let head = &g[..g.find('>').expect("tag end")];
            let rect = tags(g, "<rect")[0];
            let rect = format!(" {rect}");
            (
                num(attr(&format!(" {head}"), "data-index")) as usize,
                num(attr(&rect, "x")),
                num(attr(&rect, "y")),
                num(attr(&rect, "width")),
                num(attr(&rect, "height")),
            )
        })
        .collect();
    let paths = dom
        .split("<g class=\"link")
        .skip(1)
        .map(|g| {
            let head = format!(" {}", &g[..g.find('>').expect("tag end")]);
            let path = format!(" {}", tags(g, "<path")[0]);
            let d = attr(&path, "d").expect("d");
            let points = d
                .split(['M', 'L'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (x, y) = p.split_once(',').expect("x,y");
                    (x.parse().expect("x"), y.parse().expect("y"))
                })
                .collect();
            (
                num(attr(&head, "data-from")) as usize,
                num(attr(&head, "data-to")) as usize,
                points,
            )
        })
        .collect();
    (boxes, paths)
}

/// Every link segment that passes through the inside of a node box other than its ends'
/// (`link index: segment crosses node N`), every segment that is not horizontal or
/// vertical, and every link that does not start and end on its nodes' top or bottom.
pub fn crossings(boxes: &[Box], paths: &[Path]) -> Vec<String> {
    let mut found = Vec::new();
    let on_border = |n: usize, (px, py): (f64, f64)| {
        boxes
            .iter()
            .any(|&(i, x, y, w, h)| i == n && px >= x && px <= x + w && (py == y || py == y + h))
    };
    for (k, (from, to, points)) in paths.iter().enumerate() {
        if !points.first().is_some_and(|p| on_border(*from, *p))
            || !points.last().is_some_and(|p| on_border(*to, *p))
        {
            found.push(format!(
                "link {k} ({from} -> {to}) does not join its nodes' borders"
            ));
        }
        for w in points.windows(2) {
            let ((x1, y1), (x2, y2)) = (w[0], w[1]);
            if x1 != x2 && y1 != y2 {
                found.push(format!("link {k}: diagonal segment {:?}", w));
                continue;
            }
            for &(n, x, y, bw, bh) in boxes {
                if n == *from || n == *to {
                    continue;
                }
                let inside_x = x1.max(x2) > x && x1.min(x2) < x + bw;
                let inside_y = y1.max(y2) > y && y1.min(y2) < y + bh;
                if inside_x && inside_y {
                    found.push(format!("link {k} ({from} -> {to}): {w:?} crosses node {n}"));
                }
            }
        }
    }
    found
}
