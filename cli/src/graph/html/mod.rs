//! `graph --format html`: one self-contained page to explore the construct-level picture.
//!
//! The page is the [`Architecture`] and its [`layout`](super::layout) (the one `--format
//! svg` draws: links routed through the gaps between nodes, never across one) as JSON, plus
//! a hand-written script and style sheet, all inline: no network, no vendored library. The
//! script draws the picture as SVG and adds zoom and
//! pan, search by id, kind, path, logical ID or type, a stack filter and a side panel for
//! the clicked node (its resources with logical IDs, types, main properties and, with
//! `--diff`, what the change does to them; its construct path, its stack; its links).
//!
//! The output is byte-deterministic: the JSON follows the model's order, and nothing in the
//! page depends on the time or the machine. `#search=TEXT` and `#node=PATH` in the URL
//! run a search or open a node on load (bookmarks, and the browser test).

use serde::Serialize;

use super::layout::{layout, Layout};
use super::Architecture;

/// What the page embeds: the model, and where to draw it.
#[derive(Serialize)]
struct Page<'a> {
    #[serde(flatten)]
    model: &'a Architecture,
    layout: Layout,
}

/// The page's script.
const SCRIPT: &str = include_str!("page.js");
/// The page's style sheet.
const STYLE: &str = include_str!("page.css");

/// Renders `a` as a self-contained HTML page.
pub fn to_html(a: &Architecture) -> String {
    // The model is plain data; serializing it cannot fail, but an empty model keeps the
    // page valid should it ever.
    let page = Page {
        model: a,
        layout: layout(a),
    };
    let json = serde_json::to_string(&page).unwrap_or_else(|_| "{}".to_owned());
    let title = escape_text(&a.title);
    let heading = match &a.compared {
        Some(dir) => format!(
            "{title} <span class=\"sub\">change against {}</span>",
            escape_text(dir)
        ),
        None => title.clone(),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"generator\" content=\"stackforge graph\">\n<title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>{heading}</h1>\n<input id=\"search\" type=\"search\" placeholder=\"Search id, kind, path, logical ID, type\" aria-label=\"Search\">\n<span id=\"found\"></span>\n<select id=\"stack\" aria-label=\"Stack\"><option value=\"\">all stacks</option></select>\n<button id=\"fit\" type=\"button\">Fit</button>\n</header>\n<main>\n<div id=\"canvas\"><svg id=\"picture\" xmlns=\"http://www.w3.org/2000/svg\"></svg></div>\n<aside id=\"panel\"><p class=\"hint\">Click a construct to see its resources, properties and links. Scroll to zoom, drag to pan.</p></aside>\n</main>\n<script type=\"application/json\" id=\"model\">{}</script>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        escape_script(&json)
    )
}

/// Text for HTML element content.
fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// JSON safe inside a `<script>` element: `</script>` and `<!--` cannot appear.
fn escape_script(json: &str) -> String {
    json.replace('<', "\\u003c").replace('>', "\\u003e")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_content_cannot_close_its_element() {
        let json = r#"{"a":"</script><!--x-->"}"#;
        let escaped = escape_script(json);
        assert!(!escaped.contains("</"));
        assert!(!escaped.contains("<!--"));
        let back: serde_json::Value = serde_json::from_str(&escaped).expect("valid JSON");
        assert_eq!(back["a"], "</script><!--x-->");
    }

    #[test]
    fn title_text_is_escaped() {
        assert_eq!(escape_text("a<b>&c"), "a&lt;b&gt;&amp;c");
    }
}
