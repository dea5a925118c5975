//! Typed references handed out by construct handles. Each is a newtype over [`Expr`], so
//! passing a subnet id where a security group id is expected does not compile.

use crate::expr::Expr;
use crate::value::Str;

macro_rules! typed_ref {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name(Expr);

        impl $name {
            /// Wraps a value known to be of this kind (an import, a parameter, a literal).
            pub fn from_expr(e: impl Into<Expr>) -> Self {
                $name(e.into())
            }

            /// The underlying value.
            pub fn expr(&self) -> Expr {
                self.0.clone()
            }
        }

        impl From<$name> for Expr {
            fn from(v: $name) -> Expr {
                v.0
            }
        }

        impl From<&$name> for Expr {
            fn from(v: &$name) -> Expr {
                v.0.clone()
            }
        }

        impl From<$name> for Str {
            fn from(v: $name) -> Str {
                Str(v.0)
            }
        }

        impl From<&$name> for Str {
            fn from(v: &$name) -> Str {
                Str(v.0.clone())
            }
        }
    )*};
}

typed_ref! {
    /// A VPC id (`vpc-...`).
    VpcId;
    /// A subnet id (`subnet-...`).
    SubnetId;
    /// A security group id (`sg-...`).
    SecurityGroupId;
    /// A route table id.
    RouteTableId;
    /// A KMS key ARN.
    KmsKeyArn;
    /// A KMS key id.
    KmsKeyId;
    /// A Secrets Manager secret ARN.
    SecretArn;
    /// An IAM role ARN.
    RoleArn;
    /// An IAM role name.
    RoleName;
    /// A CloudWatch Logs log group name.
    LogGroupName;
    /// A CloudWatch Logs log group ARN.
    LogGroupArn;
    /// An SNS topic ARN.
    TopicArn;
    /// An SNS topic name.
    TopicName;
    /// A CloudWatch alarm ARN.
    AlarmArn;
    /// A CloudWatch alarm name.
    AlarmName;
    /// A CloudWatch dashboard name.
    DashboardName;
    /// An S3 bucket name.
    BucketName;
    /// An S3 bucket ARN.
    BucketArn;
    /// An ECR repository name.
    RepositoryName;
    /// An ECR repository ARN.
    RepositoryArn;
    /// An ECS cluster name.
    ClusterName;
    /// An ECS service name.
    ServiceName;
    /// A load balancer ARN.
    LoadBalancerArn;
    /// A load balancer's full name (`app/name/id`), the `LoadBalancer` metric dimension.
    LoadBalancerFullName;
    /// A target group's full name (`targetgroup/name/id`), the `TargetGroup` metric dimension.
    TargetGroupFullName;
    /// A DB instance identifier.
    DbInstanceId;
    /// An RDS DB instance ARN.
    DbInstanceArn;
    /// A WAFv2 web ACL ARN.
    WebAclArn;
    /// An AWS Backup vault name.
    BackupVaultName;
    /// An AWS Backup vault ARN.
    BackupVaultArn;
    /// An AWS Backup plan id.
    BackupPlanId;
    /// A CloudTrail trail ARN.
    TrailArn;
    /// An SQS queue ARN.
    QueueArn;
    /// An SQS queue URL (what SDKs send to and receive from).
    QueueUrl;
    /// An SQS queue name, the `QueueName` metric dimension.
    QueueName;
    /// An EventBridge rule ARN.
    EventRuleArn;
}
