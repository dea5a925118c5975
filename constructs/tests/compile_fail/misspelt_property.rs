use stackforge_constructs::resources::ec2::Vpc;

fn main() {
    let _ = Vpc {
        cidr_blok: Some("10.0.0.0/16".into()),
        ..Default::default()
    };
}
