//! Environments: the named deployment targets stacks belong to.

/// A deployment target: a name (`dev`, `prod`) and, optionally, the account, region and
/// availability zones it deploys to. Unset fields resolve at deploy time (`AWS::Region`,
/// `Fn::GetAZs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    name: String,
    account: Option<String>,
    region: Option<String>,
    availability_zones: Vec<String>,
}

impl Environment {
    /// An environment called `name` with account and region resolved at deploy time.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            account: None,
            region: None,
            availability_zones: Vec::new(),
        }
    }

    /// Pins the AWS account id.
    pub fn with_account(mut self, account: &str) -> Self {
        self.account = Some(account.to_owned());
        self
    }

    /// Pins the region.
    pub fn with_region(mut self, region: &str) -> Self {
        self.region = Some(region.to_owned());
        self
    }

    /// Names the availability zones to use (otherwise `Fn::GetAZs` picks them at deploy time).
    pub fn with_availability_zones<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        azs: I,
    ) -> Self {
        self.availability_zones = azs.into_iter().map(Into::into).collect();
        self
    }

    /// The environment name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pinned account id, if any.
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    /// The pinned region, if any.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The named availability zones (empty when chosen at deploy time).
    pub fn availability_zones(&self) -> &[String] {
        &self.availability_zones
    }
}
