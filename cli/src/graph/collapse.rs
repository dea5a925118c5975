//! The collapsing rule that keeps large stacks readable: sibling constructs whose names
//! differ only by a trailing number (`PrivateSubnet1`, `PrivateSubnet2`) and whose subtrees
//! hold the same multiset of resource types collapse into one node with a count. Subtrees
//! holding security-group resources never collapse: they are the network picture.

use super::security::is_security_type;

/// A resource of one stack, by its construct path below the stack.
#[derive(Debug, Clone)]
pub(crate) struct Item<'a> {
    /// Its type.
    pub type_name: &'a str,
    /// Its construct path below the stack (`["Vpc", "PrivateSubnet1", "Subnet"]`).
    pub path: Vec<&'a str>,
}

/// Siblings drawn as one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Collapsed {
    /// The path of their parent below the stack (`["Vpc"]`).
    pub parent: Vec<String>,
    /// Their common name before the number (`PrivateSubnet`).
    pub prefix: String,
    /// Their numbers, in order (`["1", "2"]`).
    pub numbers: Vec<String>,
    /// The resource types of the first one, in template order.
    pub types: Vec<String>,
}

impl Collapsed {
    /// `PrivateSubnet x2`, `Vpc/PrivateSubnet{1,2}`, `each: Subnet, RouteTable`.
    pub(crate) fn label(&self) -> Vec<String> {
        let mut path = self.parent.join("/");
        if !path.is_empty() {
            path.push('/');
        }
        let short: Vec<&str> = self
            .types
            .iter()
            .map(|t| t.rsplit("::").next().unwrap_or(t))
            .collect();
        vec![
            format!("{} x{}", self.prefix, self.numbers.len()),
            format!("{path}{}{{{}}}", self.prefix, self.numbers.join(",")),
            format!("each: {}", short.join(", ")),
        ]
    }
}

#[derive(Debug, Default)]
struct Tree<'a> {
    name: &'a str,
    children: Vec<Tree<'a>>,
    items: Vec<usize>,
}

impl<'a> Tree<'a> {
    fn insert(&mut self, path: &[&'a str], item: usize) {
        let Some((first, rest)) = path.split_first() else {
            self.items.push(item);
            return;
        };
        let i = match self.children.iter().position(|c| c.name == *first) {
            Some(i) => i,
            None => {
                self.children.push(Tree {
                    name: first,
                    ..Tree::default()
                });
                self.children.len() - 1
            }
        };
        self.children[i].insert(rest, item);
    }

    fn all_items(&self, out: &mut Vec<usize>) {
        out.extend(&self.items);
        for c in &self.children {
            c.all_items(out);
        }
    }
}

/// For each item, the index of the collapsed group it belongs to (if any), and the groups.
pub(crate) fn collapse(items: &[Item<'_>]) -> (Vec<Option<usize>>, Vec<Collapsed>) {
    let mut root = Tree::default();
    for (i, item) in items.iter().enumerate() {
        root.insert(&item.path, i);
    }
    let mut placement = vec![None; items.len()];
    let mut groups = Vec::new();
    visit(&root, &mut Vec::new(), items, &mut placement, &mut groups);
    (placement, groups)
}

/// `("PrivateSubnet", "1")` for `PrivateSubnet1`; none without a trailing number or prefix.
fn split_number(name: &str) -> Option<(&str, &str)> {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (prefix, number) = name.split_at(name.len() - digits);
    (digits > 0 && !prefix.is_empty()).then_some((prefix, number))
}

/// Numbered siblings are alike when they share the name prefix and the sorted resource types.
type ClassKey<'a> = (&'a str, Vec<&'a str>);

fn visit<'a>(
    tree: &Tree<'a>,
    path: &mut Vec<&'a str>,
    items: &[Item<'_>],
    placement: &mut [Option<usize>],
    groups: &mut Vec<Collapsed>,
) {
    let mut classes: Vec<(ClassKey<'_>, Vec<usize>)> = Vec::new();
    for (ci, child) in tree.children.iter().enumerate() {
        let Some((prefix, _)) = split_number(child.name) else {
            continue;
        };
        let mut ids = Vec::new();
        child.all_items(&mut ids);
        let mut types: Vec<&str> = ids.iter().map(|&i| items[i].type_name).collect();
        if types.iter().any(|t| is_security_type(t)) {
            continue;
        }
        types.sort_unstable();
        let key = (prefix, types);
        match classes.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(ci),
            None => classes.push((key, vec![ci])),
        }
    }
    let mut collapsed_children = vec![false; tree.children.len()];
    for ((prefix, _), members) in classes.into_iter().filter(|(_, m)| m.len() >= 2) {
        let index = groups.len();
        let mut first_types = Vec::new();
        for (n, &ci) in members.iter().enumerate() {
            collapsed_children[ci] = true;
            let mut ids = Vec::new();
            tree.children[ci].all_items(&mut ids);
            ids.sort_unstable();
            if n == 0 {
                first_types = ids.iter().map(|&i| items[i].type_name.to_owned()).collect();
            }
            for i in ids {
                placement[i] = Some(index);
            }
        }
        groups.push(Collapsed {
            parent: path.iter().map(|s| (*s).to_owned()).collect(),
            prefix: prefix.to_owned(),
            numbers: members
                .iter()
                .filter_map(|&ci| split_number(tree.children[ci].name))
                .map(|(_, n)| n.to_owned())
                .collect(),
            types: first_types,
        });
    }
    for (ci, child) in tree.children.iter().enumerate() {
        if !collapsed_children[ci] {
            path.push(child.name);
            visit(child, path, items, placement, groups);
            path.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item<'a>(type_name: &'a str, path: &'a str) -> Item<'a> {
        Item {
            type_name,
            path: path.split('/').collect(),
        }
    }

    #[test]
    fn numbered_siblings_with_the_same_types_collapse() {
        let items = [
            item("AWS::EC2::VPC", "Vpc/Resource"),
            item("AWS::EC2::Subnet", "Vpc/PublicSubnet1/Subnet"),
            item("AWS::EC2::NatGateway", "Vpc/PublicSubnet1/NatGateway"),
            item("AWS::EC2::Subnet", "Vpc/PublicSubnet2/Subnet"),
            item("AWS::EC2::Subnet", "Vpc/PrivateSubnet1/Subnet"),
            item("AWS::EC2::RouteTable", "Vpc/PrivateSubnet1/RouteTable"),
            item("AWS::EC2::Subnet", "Vpc/PrivateSubnet2/Subnet"),
            item("AWS::EC2::RouteTable", "Vpc/PrivateSubnet2/RouteTable"),
            item("AWS::EC2::RouteTable", "Vpc/PrivateSubnet3/RouteTable"),
            item("AWS::EC2::Subnet", "Vpc/PrivateSubnet3/Subnet"),
        ];
        let (placement, groups) = collapse(&items);
        // PublicSubnet1 holds a NAT gateway, PublicSubnet2 does not: both stay.
        assert_eq!(
            placement,
            [
                None,
                None,
                None,
                None,
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                Some(0)
            ]
        );
        assert_eq!(
            groups[0].label(),
            [
                "PrivateSubnet x3",
                "Vpc/PrivateSubnet{1,2,3}",
                "each: Subnet, RouteTable"
            ]
        );
    }

    #[test]
    fn security_groups_and_unnumbered_siblings_never_collapse() {
        let items = [
            item("AWS::EC2::SecurityGroup", "Web1/Sg"),
            item("AWS::EC2::SecurityGroup", "Web2/Sg"),
            item("AWS::SNS::Topic", "Alerts"),
            item("AWS::SNS::Topic", "Alarms"),
            item("AWS::SNS::Topic", "1"),
            item("AWS::SNS::Topic", "2"),
        ];
        let (placement, groups) = collapse(&items);
        assert!(placement.iter().all(Option::is_none));
        assert!(groups.is_empty());
    }

    #[test]
    fn leaf_resources_collapse_at_the_stack_root() {
        let items = [
            item("AWS::SQS::Queue", "Queue1"),
            item("AWS::SQS::Queue", "Queue2"),
        ];
        let (placement, groups) = collapse(&items);
        assert_eq!(placement, [Some(0), Some(0)]);
        assert_eq!(groups[0].label()[1], "Queue{1,2}");
    }
}
