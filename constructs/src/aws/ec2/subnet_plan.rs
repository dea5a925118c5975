//! Subnet planning: one CIDR divided into groups of subnets (public, private, isolated), one
//! subnet per availability zone, each group after the one before or in a range reserved for
//! it.

use ipnet::Ipv4Net;

use crate::error::Result;
use crate::expr::Expr;
use crate::scope::Scope;

use super::vpc::VpcProps;

/// The largest subnet or VPC prefix AWS allows (`/16`).
pub const MIN_PREFIX_LEN: u8 = 16;
/// The smallest subnet or VPC prefix AWS allows (`/28`).
pub const MAX_PREFIX_LEN: u8 = 28;
/// How many AZs a VPC may span when the environment names none: `Fn::GetAZs` lists at least
/// three zones in nearly every region, so a higher index could fail at deploy time.
pub const MAX_AZS_UNNAMED: usize = 3;

/// The kind of a subnet group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubnetType {
    /// Routed to the internet gateway (load balancers, NAT gateways).
    Public,
    /// Outbound access through NAT gateways and/or VPC endpoints only (compute).
    PrivateWithEgress,
    /// No route out of the VPC (databases).
    Isolated,
}

impl SubnetType {
    /// The construct id prefix of its subnets (`Public` -> `PublicSubnet1`).
    pub fn label(self) -> &'static str {
        match self {
            SubnetType::Public => "Public",
            SubnetType::PrivateWithEgress => "Private",
            SubnetType::Isolated => "Isolated",
        }
    }

    fn field(self) -> &'static str {
        match self {
            SubnetType::Public => "public_subnets",
            SubnetType::PrivateWithEgress => "private_subnets",
            SubnetType::Isolated => "isolated_subnets",
        }
    }
}

/// One subnet group: one subnet of `/cidr_mask` per availability zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetGroup {
    /// The prefix length of each subnet, from the VPC's own prefix length to 28.
    pub cidr_mask: u8,
    /// A range of the VPC CIDR reserved for this group (its subnets are taken from it in AZ
    /// order), for address plans fixed elsewhere. Default: none — the group's subnets are
    /// allocated after those of the groups before it (public, private, isolated).
    pub cidr: Option<String>,
}

impl SubnetGroup {
    /// A group of `/cidr_mask` subnets allocated automatically.
    pub fn new(cidr_mask: u8) -> Self {
        Self {
            cidr_mask,
            cidr: None,
        }
    }
}

/// The planned network: CIDR, availability zones and subnets per group, in AZ order.
pub(crate) struct SubnetPlan {
    pub(crate) cidr: Ipv4Net,
    pub(crate) azs: Vec<Expr>,
    pub(crate) groups: Vec<(SubnetType, Vec<Ipv4Net>)>,
}

/// Parses an IPv4 network written without host bits.
fn parse_net(s: &str) -> std::result::Result<Ipv4Net, String> {
    let net: Ipv4Net = s
        .parse()
        .map_err(|e| format!("`{s}` is not an IPv4 CIDR block ({e})"))?;
    if net.trunc() != net {
        return Err(format!(
            "`{s}` has host bits set; the network is `{}`",
            net.trunc()
        ));
    }
    Ok(net)
}

fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Checks the CIDR, zones and subnet groups of `props` and plans the subnets. Nothing is
/// added to the stack.
pub(crate) fn plan_subnets(scope: &Scope<'_>, props: &VpcProps) -> Result<SubnetPlan> {
    let cidr = parse_net(&props.cidr)
        .map_err(|p| scope.invalid("cidr", p, "write it as `10.0.0.0/16`"))?;
    if !(MIN_PREFIX_LEN..=MAX_PREFIX_LEN).contains(&cidr.prefix_len()) {
        return Err(scope.invalid(
            "cidr",
            format!(
                "a /{} VPC is outside the /{MIN_PREFIX_LEN} to /{MAX_PREFIX_LEN} AWS allows",
                cidr.prefix_len()
            ),
            "use a prefix length between 16 and 28",
        ));
    }

    let named = scope.stack().environment().availability_zones();
    if props.max_azs == 0 {
        return Err(scope.invalid(
            "max_azs",
            "0 availability zones leaves no room for subnets",
            "use at least 1 (2 or more for a database or a load balancer)",
        ));
    }
    let azs: Vec<Expr> = if named.is_empty() {
        if props.max_azs > MAX_AZS_UNNAMED {
            return Err(scope.invalid(
                "max_azs",
                format!(
                    "{} exceeds the {MAX_AZS_UNNAMED} zones `Fn::GetAZs` is sure to list",
                    props.max_azs
                ),
                format!(
                    "use at most {MAX_AZS_UNNAMED}, or name the zones in the stack's Environment"
                ),
            ));
        }
        (0..props.max_azs)
            .map(|i| Expr::select(i as u32, Expr::get_azs()))
            .collect()
    } else {
        if props.max_azs > named.len() {
            return Err(scope.invalid(
                "max_azs",
                format!(
                    "{} exceeds the {} availability zones the environment `{}` names",
                    props.max_azs,
                    named.len(),
                    scope.stack().environment().name()
                ),
                format!(
                    "use at most {}, or name more zones in the environment",
                    named.len()
                ),
            ));
        }
        named[..props.max_azs].iter().map(Expr::str).collect()
    };
    let n = azs.len();

    let groups: Vec<(SubnetType, &SubnetGroup)> = [
        (SubnetType::Public, &props.public_subnets),
        (SubnetType::PrivateWithEgress, &props.private_subnets),
        (SubnetType::Isolated, &props.isolated_subnets),
    ]
    .into_iter()
    .filter_map(|(t, g)| g.as_ref().map(|g| (t, g)))
    .collect();
    if groups.is_empty() {
        return Err(scope.invalid(
            "public_subnets",
            "no subnet group is given, so the VPC would have no subnets",
            "set at least one of `public_subnets`, `private_subnets`, `isolated_subnets`",
        ));
    }

    // Masks and reserved ranges first, then overlaps between reserved ranges.
    let mut specs: Vec<(SubnetType, u8, Option<Ipv4Net>)> = Vec::new();
    for (kind, group) in &groups {
        let field = format!("{}.cidr_mask", kind.field());
        let mask = group.cidr_mask;
        if mask < cidr.prefix_len() {
            return Err(scope.invalid(
                &field,
                format!(
                    "a /{mask} subnet is larger than the /{} VPC",
                    cidr.prefix_len()
                ),
                format!(
                    "use a mask between {} and {MAX_PREFIX_LEN}",
                    cidr.prefix_len()
                ),
            ));
        }
        if mask > MAX_PREFIX_LEN {
            return Err(scope.invalid(
                &field,
                format!("a /{mask} subnet is smaller than the /{MAX_PREFIX_LEN} AWS allows"),
                format!(
                    "use a mask between {} and {MAX_PREFIX_LEN}",
                    cidr.prefix_len()
                ),
            ));
        }
        let block = match &group.cidr {
            None => None,
            Some(s) => {
                let field = format!("{}.cidr", kind.field());
                let block = parse_net(s)
                    .map_err(|p| scope.invalid(&field, p, "write it as `10.0.16.0/20`"))?;
                if !cidr.contains(&block) {
                    return Err(scope.invalid(
                        &field,
                        format!("`{block}` is not inside the VPC CIDR `{cidr}`"),
                        "reserve a range of the VPC CIDR",
                    ));
                }
                let fits =
                    block.prefix_len() <= mask && (1u64 << (mask - block.prefix_len())) >= n as u64;
                if !fits {
                    return Err(scope.invalid(
                        &field,
                        format!("`{block}` cannot hold {n} subnets of /{mask}"),
                        "reserve a larger range, use smaller subnets, or span fewer AZs",
                    ));
                }
                Some(block)
            }
        };
        specs.push((*kind, mask, block));
    }
    for (i, (a_kind, _, a)) in specs.iter().enumerate() {
        for (b_kind, _, b) in &specs[i + 1..] {
            if let (Some(a), Some(b)) = (a, b) {
                if overlaps(a, b) {
                    return Err(scope.invalid(
                        &format!("{}.cidr", b_kind.field()),
                        format!("`{b}` overlaps `{a}` reserved for `{}`", a_kind.field()),
                        "reserve ranges that do not overlap",
                    ));
                }
            }
        }
    }
    let nets = allocate(cidr, &specs, n).map_err(|kind| {
        scope.invalid(
            &format!("{}.cidr_mask", kind.field()),
            format!(
                "the subnet groups do not fit in `{cidr}`: the {} subnets run past its end",
                kind.label().to_lowercase()
            ),
            "use a larger `cidr`, smaller subnets (larger masks), or fewer AZs",
        )
    })?;
    let planned: Vec<(SubnetType, Vec<Ipv4Net>)> =
        specs.iter().map(|(k, _, _)| *k).zip(nets).collect();
    Ok(SubnetPlan {
        cidr,
        azs,
        groups: planned,
    })
}

/// Allocates `n` subnets per group: from its reserved range when it has one, else from a
/// cursor moving up through the VPC CIDR (aligned to each mask, skipping reserved ranges), so
/// groups follow each other in order and subnets in AZ order. Returns the group that does not
/// fit.
fn allocate(
    vpc: Ipv4Net,
    specs: &[(SubnetType, u8, Option<Ipv4Net>)],
    n: usize,
) -> std::result::Result<Vec<Vec<Ipv4Net>>, SubnetType> {
    let start = |net: &Ipv4Net| u64::from(u32::from(net.network()));
    let end = |net: &Ipv4Net| u64::from(u32::from(net.broadcast())) + 1;
    let reserved: Vec<Ipv4Net> = specs.iter().filter_map(|(_, _, b)| *b).collect();
    let mut cursor = start(&vpc);
    let mut out = Vec::with_capacity(specs.len());
    for (kind, mask, block) in specs {
        let mut nets = Vec::with_capacity(n);
        if let Some(block) = block {
            nets.extend(block.subnets(*mask).map_err(|_| *kind)?.take(n));
            if nets.len() < n {
                return Err(*kind);
            }
            out.push(nets);
            continue;
        }
        let size = 1u64 << (32 - u32::from(*mask));
        while nets.len() < n {
            let first = cursor.div_ceil(size) * size;
            if first + size > end(&vpc) {
                return Err(*kind);
            }
            let addr = u32::try_from(first).map_err(|_| *kind)?;
            let net = Ipv4Net::new(addr.into(), *mask).map_err(|_| *kind)?;
            match reserved.iter().find(|r| overlaps(r, &net)) {
                Some(r) => cursor = cursor.max(end(r)),
                None => {
                    nets.push(net);
                    cursor = first + size;
                }
            }
        }
        out.push(nets);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn allocation_is_in_group_then_az_order_and_aligned() {
        let specs = [
            (SubnetType::Public, 24, None),
            (SubnetType::PrivateWithEgress, 22, None),
            (SubnetType::Isolated, 24, None),
        ];
        let got = allocate(net("10.0.0.0/16"), &specs, 2).unwrap();
        let got: Vec<Vec<String>> = got
            .iter()
            .map(|g| g.iter().map(ToString::to_string).collect())
            .collect();
        assert_eq!(
            got,
            [
                ["10.0.0.0/24", "10.0.1.0/24"],
                ["10.0.4.0/22", "10.0.8.0/22"],
                ["10.0.12.0/24", "10.0.13.0/24"],
            ]
        );
    }

    #[test]
    fn automatic_groups_skip_reserved_ranges() {
        let specs = [
            (SubnetType::Public, 24, None),
            (SubnetType::Isolated, 24, Some(net("10.0.1.0/24"))),
        ];
        let got = allocate(net("10.0.0.0/22"), &specs, 1).unwrap();
        assert_eq!(got, [[net("10.0.0.0/24")], [net("10.0.1.0/24")]]);
        let specs = [
            (SubnetType::Public, 24, None),
            (SubnetType::Isolated, 25, Some(net("10.0.1.0/24"))),
        ];
        let got = allocate(net("10.0.0.0/22"), &specs, 2).unwrap();
        // The second public subnet jumps over the reserved range.
        assert_eq!(got[0], [net("10.0.0.0/24"), net("10.0.2.0/24")]);
        let specs = [
            (SubnetType::Isolated, 24, Some(net("10.0.0.0/24"))),
            (SubnetType::Public, 24, None),
        ];
        let got = allocate(net("10.0.0.0/22"), &specs, 2);
        // Two /24 from the reserved /24 do not fit.
        assert_eq!(got, Err(SubnetType::Isolated));
        let specs = [
            (SubnetType::Isolated, 25, Some(net("10.0.0.0/24"))),
            (SubnetType::Public, 24, None),
        ];
        let got = allocate(net("10.0.0.0/22"), &specs, 2).unwrap();
        assert_eq!(got[1], [net("10.0.1.0/24"), net("10.0.2.0/24")]);
    }

    #[test]
    fn a_group_past_the_end_is_reported() {
        let specs = [(SubnetType::PrivateWithEgress, 24, None)];
        assert_eq!(
            allocate(net("10.0.0.0/24"), &specs, 2),
            Err(SubnetType::PrivateWithEgress)
        );
        let top = [(SubnetType::Public, 28, None)];
        assert_eq!(
            allocate(net("255.255.255.224/27"), &top, 2).unwrap()[0].len(),
            2
        );
        assert!(allocate(net("255.255.255.224/27"), &top, 3).is_err());
    }
}
