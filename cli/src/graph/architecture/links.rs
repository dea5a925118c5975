//! The links between nodes, read from the templates: traffic, data access, alerting and
//! other uses.

use std::collections::{BTreeMap, BTreeSet};

use stackforge_construct_model::template::ResourceDef;
use stackforge_construct_model::{Expr, Use};

use super::iam;
use super::nodes::{cut, Nodes, Target};
use super::{Link, LinkKind, LinkSource, StackSource};
use crate::graph::security::{self, Group, Peer};

/// The name of the node standing for the internet (`0.0.0.0/0`, `::/0`).
pub const INTERNET: &str = "Internet";

/// Alarm properties naming what the alarm does when it fires.
const ALARM_ACTIONS: [&str; 3] = ["AlarmActions", "OKActions", "InsufficientDataActions"];

struct Builder<'n, 'a> {
    nodes: &'n mut Nodes<'a>,
    links: Vec<Link>,
    /// Link index -> the alarms behind a "watched by alarms" link.
    alarms: BTreeMap<usize, BTreeSet<(usize, String)>>,
    /// Nodes whose load balancer a web ACL of the same node filters.
    waf: BTreeSet<usize>,
}

/// Every link of `stacks`, nodes already built.
pub(super) fn links(stacks: &[StackSource<'_>], nodes: &mut Nodes<'_>) -> Vec<Link> {
    let mut b = Builder {
        nodes,
        links: Vec::new(),
        alarms: BTreeMap::new(),
        waf: BTreeSet::new(),
    };
    for (si, s) in stacks.iter().enumerate() {
        for (logical_id, r) in &s.template.resources {
            let source = LinkSource {
                stack: si,
                logical_id: logical_id.clone(),
                type_name: r.type_name.clone(),
            };
            b.rules(si, logical_id, r, &source);
            b.typed(si, logical_id, r, &source);
        }
    }
    for (si, s) in stacks.iter().enumerate() {
        for (logical_id, r) in &s.template.resources {
            b.uses(si, logical_id, r);
        }
    }
    b.finish()
}

impl Builder<'_, '_> {
    fn add(
        &mut self,
        from: usize,
        to: usize,
        kind: LinkKind,
        labels: &[String],
        source: &LinkSource,
    ) -> Option<usize> {
        if from == to {
            return None;
        }
        let i = match self
            .links
            .iter()
            .position(|l| l.from == from && l.to == to && l.kind == kind)
        {
            Some(i) => i,
            None => {
                self.links.push(Link {
                    from,
                    to,
                    kind,
                    labels: Vec::new(),
                    sources: Vec::new(),
                    status: None,
                });
                self.links.len() - 1
            }
        };
        let link = &mut self.links[i];
        for l in labels {
            if !link.labels.contains(l) {
                link.labels.push(l.clone());
            }
        }
        if !link.sources.contains(source) {
            link.sources.push(source.clone());
        }
        Some(i)
    }

    /// Security-group rules (standalone or inline): traffic from the peer to the group.
    fn rules(&mut self, si: usize, logical_id: &str, r: &ResourceDef, source: &LinkSource) {
        for rule in security::rules(r) {
            let groups = match rule.group {
                Group::This => self.nodes.node_of(si, logical_id).into_iter().collect(),
                Group::Id(v) => self.nodes.resolve_nodes(si, v),
            };
            if groups.is_empty() {
                continue;
            }
            self.nodes.drawn(si, logical_id);
            if let (true, Peer::Cidr(Expr::String(c))) = (rule.egress, rule.peer) {
                if c == "0.0.0.0/0" || c == "::/0" {
                    // The way out to the internet is a property of the construct, not a link
                    // across the picture.
                    for g in groups {
                        self.nodes.add_outbound(g, &rule.ports, source);
                    }
                    continue;
                }
            }
            let peer = match rule.peer {
                Peer::Group(v) => self.peer(si, v, "security group"),
                Peer::Cidr(v) => self.peer(si, v, "CIDR range"),
                Peer::PrefixList(v) => self.peer(si, v, "prefix list"),
            };
            // An outbound rule to something outside the app says so; between two nodes of
            // the app, the ingress and egress rules of one flow merge into one link.
            let label = if self.nodes.is_external(peer) {
                rule.label()
            } else {
                rule.ports.clone()
            };
            for g in groups {
                let (from, to) = if rule.egress { (g, peer) } else { (peer, g) };
                self.add(
                    from,
                    to,
                    LinkKind::Traffic,
                    std::slice::from_ref(&label),
                    source,
                );
            }
        }
    }

    /// The node a rule's peer value stands for: a node of the app, the internet, or an
    /// external node titled `what`.
    fn peer(&mut self, si: usize, value: &Expr, what: &str) -> usize {
        if let Expr::String(s) = value {
            if s == "0.0.0.0/0" || s == "::/0" {
                return self.nodes.external(INTERNET, "0.0.0.0/0, ::/0");
            }
            if let Some(vpc) = self.nodes.vpc_with_cidr(s) {
                return vpc;
            }
            return self.nodes.external(s, what);
        }
        match self.nodes.resolve(si, value).first() {
            Some(Target::Node(n)) => *n,
            Some(Target::Parameter(p)) => {
                let name = format!("{}.{p}", self.nodes.stacks()[si].name);
                self.nodes.external(&name, &format!("{what} (parameter)"))
            }
            None => {
                let text = serde_json::to_value(value).unwrap_or_default().to_string();
                self.nodes.external(&cut(&text, 40), what)
            }
        }
    }

    /// Links read from resources of particular types.
    fn typed(&mut self, si: usize, logical_id: &str, r: &ResourceDef, source: &LinkSource) {
        let me = self.nodes.node_of(si, logical_id);
        let prop = |name: &str| r.properties.get(name);
        match r.type_name.as_str() {
            "AWS::ElasticLoadBalancingV2::Listener" => {
                let Some(me) = me else { return };
                let label = listener_label(r);
                for lb in self.targets(si, prop("LoadBalancerArn")) {
                    self.add(lb, me, LinkKind::Traffic, &label, source);
                }
                for tg in self.target_groups(si, prop("DefaultActions")) {
                    self.add(me, tg, LinkKind::Traffic, &["forward".to_owned()], source);
                }
            }
            "AWS::ElasticLoadBalancingV2::ListenerRule" => {
                let Some(me) = me else { return };
                let label = rule_conditions(prop("Conditions"));
                for l in self.targets(si, prop("ListenerArn")) {
                    self.add(l, me, LinkKind::Traffic, &label, source);
                }
                for tg in self.target_groups(si, prop("Actions")) {
                    self.add(me, tg, LinkKind::Traffic, &["forward".to_owned()], source);
                }
            }
            "AWS::ECS::Service" => {
                let Some(me) = me else { return };
                for tg in self.target_groups(si, prop("LoadBalancers")) {
                    self.add(tg, me, LinkKind::Traffic, &[], source);
                }
            }
            "AWS::WAFv2::WebACLAssociation" => {
                for waf in self.targets(si, prop("WebACLArn")) {
                    for lb in self.targets(si, prop("ResourceArn")) {
                        if waf == lb {
                            self.waf.insert(lb);
                        }
                        self.add(waf, lb, LinkKind::Traffic, &["filters".to_owned()], source);
                    }
                }
            }
            "AWS::IAM::Role" => {
                let Some(me) = me else { return };
                if let Some(Expr::List(policies)) = prop("Policies") {
                    for p in policies {
                        if let Expr::Map(p) = p {
                            if let Some(doc) = p.get("PolicyDocument") {
                                self.grants(si, &[me], doc, source);
                            }
                        }
                    }
                }
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                let principals = self.targets(si, prop("Roles"));
                if principals.is_empty() {
                    return;
                }
                self.nodes.drawn(si, logical_id);
                if let Some(doc) = prop("PolicyDocument") {
                    self.grants(si, &principals, doc, source);
                }
            }
            "AWS::Backup::BackupSelection" => {
                let Some(me) = me else { return };
                let selection = match prop("BackupSelection") {
                    Some(Expr::Map(m)) => m.get("Resources"),
                    _ => None,
                };
                for t in self.targets(si, selection) {
                    self.add(
                        me,
                        t,
                        LinkKind::DataAccess,
                        &["backs up".to_owned()],
                        source,
                    );
                }
            }
            "AWS::CloudWatch::Alarm" => {
                let Some(me) = me else { return };
                for name in ALARM_ACTIONS {
                    for t in self.targets(si, prop(name)) {
                        self.add(me, t, LinkKind::Alerting, &[], source);
                    }
                }
                for watched in self.watched(si, r) {
                    if let Some(i) = self.add(watched, me, LinkKind::Alerting, &[], source) {
                        self.alarms
                            .entry(i)
                            .or_default()
                            .insert((si, logical_id.to_owned()));
                    }
                }
            }
            "AWS::SNS::Topic" => {
                let Some(me) = me else { return };
                if let Some(Expr::List(subs)) = prop("Subscription") {
                    for s in subs {
                        if let Expr::Map(s) = s {
                            self.subscribe(si, me, s.get("Protocol"), s.get("Endpoint"), source);
                        }
                    }
                }
            }
            "AWS::SNS::Subscription" => {
                for topic in self.targets(si, prop("TopicArn")) {
                    self.subscribe(si, topic, prop("Protocol"), prop("Endpoint"), source);
                }
            }
            _ => {}
        }
    }

    /// What an alarm watches: the construct of its most specific dimension (dimensions go
    /// from general to specific: `ClusterName` then `ServiceName`, `LoadBalancer` then
    /// `TargetGroup`), or everything its metric-math metrics name.
    fn watched(&self, si: usize, alarm: &ResourceDef) -> Vec<usize> {
        if let Some(Expr::List(dimensions)) = alarm.properties.get("Dimensions") {
            let last = dimensions.iter().rev().find_map(|d| {
                let Expr::Map(d) = d else { return None };
                let nodes = self.targets(si, d.get("Value"));
                (!nodes.is_empty()).then_some(nodes)
            });
            if let Some(nodes) = last {
                return nodes;
            }
        }
        self.targets(si, alarm.properties.get("Metrics"))
    }

    fn targets(&self, si: usize, value: Option<&Expr>) -> Vec<usize> {
        value.map_or_else(Vec::new, |v| self.nodes.resolve_nodes(si, v))
    }

    /// The target groups named in actions (`TargetGroupArn`, forward configs).
    fn target_groups(&self, si: usize, value: Option<&Expr>) -> Vec<usize> {
        let Some(value) = value else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (path, u) in value.uses() {
            if !path.keys_only().contains("TargetGroupArn") {
                continue;
            }
            let one = match u {
                Use::Local { id, .. } => Expr::local_ref(id),
                Use::Import(name) => Expr::import_value(name.clone()),
                _ => continue,
            };
            for n in self.nodes.resolve_nodes(si, &one) {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        out
    }

    /// IAM statements of `doc`: data access from each principal to what each names.
    fn grants(&mut self, si: usize, principals: &[usize], doc: &Expr, source: &LinkSource) {
        for s in iam::statements(doc) {
            let verbs = iam::verbs(&s.actions);
            for t in self.nodes.resolve_nodes(si, s.resource) {
                for &p in principals {
                    self.add(p, t, LinkKind::DataAccess, &verbs, source);
                }
            }
        }
    }

    /// A subscription of `topic`: to a node of the app, or to an external subscriber.
    fn subscribe(
        &mut self,
        si: usize,
        topic: usize,
        protocol: Option<&Expr>,
        endpoint: Option<&Expr>,
        source: &LinkSource,
    ) {
        let protocol = protocol.and_then(Expr::as_str).unwrap_or("subscription");
        let Some(endpoint) = endpoint else { return };
        let to = match (endpoint, self.nodes.resolve(si, endpoint).first()) {
            (_, Some(Target::Node(n))) => *n,
            (_, Some(Target::Parameter(p))) => {
                let stack = self.nodes.stacks()[si].name;
                self.nodes
                    .external(p, &format!("{protocol} (parameter of {stack})"))
            }
            (Expr::String(s), None) => self.nodes.external(s, &format!("{protocol} subscriber")),
            (_, None) => self
                .nodes
                .external("computed", &format!("{protocol} subscriber")),
        };
        self.add(
            topic,
            to,
            LinkKind::Alerting,
            &[protocol.to_owned()],
            source,
        );
    }

    /// Other references between nodes of one stack, where no other link joins them.
    fn uses(&mut self, si: usize, logical_id: &str, r: &ResourceDef) {
        let Some(me) = self.nodes.node_of(si, logical_id) else {
            return;
        };
        let source = LinkSource {
            stack: si,
            logical_id: logical_id.to_owned(),
            type_name: r.type_name.clone(),
        };
        let mut used = Vec::new();
        for (_, u) in r.uses() {
            if let Use::Local { id, .. } = u {
                if let Some(n) = self.nodes.node_of(si, id) {
                    used.push(n);
                }
            }
        }
        used.extend(
            r.depends_on
                .iter()
                .filter_map(|id| self.nodes.node_of(si, id)),
        );
        for n in used {
            let joined = self.links.iter().any(|l| {
                l.kind != LinkKind::Uses
                    && ((l.from == me && l.to == n) || (l.from == n && l.to == me))
            });
            if !joined {
                self.add(me, n, LinkKind::Uses, &[], &source);
            }
        }
    }

    fn finish(mut self) -> Vec<Link> {
        for (i, alarms) in &self.alarms {
            let n = alarms.len();
            let link = &mut self.links[*i];
            link.labels
                .push(format!("{n} alarm{}", if n == 1 { "" } else { "s" }));
        }
        let internet: Vec<usize> = (0..self.links.len())
            .filter(|&i| {
                let l = &self.links[i];
                l.kind == LinkKind::Traffic && self.waf.contains(&l.to)
            })
            .collect();
        for i in internet {
            let from = self.links[i].from;
            if self.nodes_name(from) == Some(INTERNET) {
                self.links[i].labels.push("through WAF".to_owned());
            }
        }
        self.links
    }

    fn nodes_name(&self, n: usize) -> Option<&str> {
        self.nodes.name(n)
    }
}

/// `HTTPS/443` for a listener with literal protocol and port.
fn listener_label(r: &ResourceDef) -> Vec<String> {
    let text = |k: &str| match r.properties.get(k) {
        Some(Expr::String(s)) => Some(s.to_string()),
        Some(Expr::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    match (text("Protocol"), text("Port")) {
        (Some(p), Some(port)) => vec![format!("{p}/{port}")],
        (Some(p), None) => vec![p],
        _ => Vec::new(),
    }
}

/// The literal host and path patterns of a listener rule's conditions (`/shop, /shop/*`).
fn rule_conditions(conditions: Option<&Expr>) -> Vec<String> {
    let mut out = Vec::new();
    let Some(Expr::List(items)) = conditions else {
        return out;
    };
    for c in items {
        let Expr::Map(c) = c else { continue };
        for key in ["PathPatternConfig", "HostHeaderConfig"] {
            if let Some(Expr::Map(cfg)) = c.get(key) {
                if let Some(Expr::List(values)) = cfg.get("Values") {
                    out.extend(values.iter().filter_map(Expr::as_str).map(str::to_owned));
                }
            }
        }
    }
    if out.is_empty() {
        Vec::new()
    } else {
        vec![out.join(", ")]
    }
}
