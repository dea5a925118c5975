use stackforge_constructs::aws::ec2::SecurityGroup;
use stackforge_constructs::aws::refs::SubnetId;

fn main() {
    // Handles hand out typed references: a subnet id is not a security group id.
    let subnet = SubnetId::from_expr("subnet-0123456789abcdef0");
    let _ = SecurityGroup::from_id(subnet);
}
