use stackforge_constructs::resources::ec2::Subnet;

fn main() {
    // `VpcId` is required: `new` takes it, and there is no `Default` to skip it.
    let _ = Subnet {
        cidr_block: Some("10.0.0.0/24".into()),
        ..Subnet::new()
    };
    let _ = Subnet {
        cidr_block: Some("10.0.0.0/24".into()),
        ..Default::default()
    };
}
