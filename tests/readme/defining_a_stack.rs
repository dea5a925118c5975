use stackforge_constructs::aws::backup::{BackupPlan, BackupPlanProps};
use stackforge_constructs::aws::ec2::{Vpc, VpcProps};
use stackforge_constructs::aws::rds::{RdsEncrypted, RdsEncryptedProps};
use stackforge_constructs::{App, Environment, Error, Stack, StackProps};

pub fn app() -> Result<App, Error> {
    let mut app = App::new("shop");
    let dev = Environment::new("dev");

    let mut network = Stack::new(&app, &dev, "network", StackProps::default())?;
    let vpc = Vpc::new(
        &mut network.root(),
        "Vpc",
        VpcProps {
            nat_gateways: 1,
            ..Default::default()
        },
    )?;

    let mut data = Stack::new(&app, &dev, "data", StackProps::default())?;
    let mut root = data.root();
    // Encrypted, TLS-only, IAM auth, private: there is no prop to turn that off.
    let db = RdsEncrypted::new(&mut root, "Database", &vpc, RdsEncryptedProps::default())?;
    // Backed up by AWS Backup into a KMS-encrypted vault (the gate requires a plan per database).
    BackupPlan::new(&mut root, "Backup", [db.arn()], BackupPlanProps::default())?;
    let _endpoint = db.endpoint_address(); // a typed value; used in another stack it becomes an import

    app.add_stack(network)?;
    app.add_stack(data)?; // deploy order follows the references: network, then data
    Ok(app)
}
