use stackforge_constructs::resources::ec2::Vpc;

fn main() {
    let _ = Vpc {
        enable_dns_support: Some("yes".into()),
        ..Default::default()
    };
}
