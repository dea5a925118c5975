//! `worker`: fulfils orders from the queue — the queue-processing Fargate pattern (no load
//! balancer, scaling on the queue's depth, alarms on dead letters and waiting orders) running
//! the API's image with another command, connected to the database. Its alerting topic is the
//! app's: the monitoring stack's alarms notify it too.

use stackforge_constructs::aws::cloudwatch::AlertingTopic;
use stackforge_constructs::aws::ec2::Vpc;
use stackforge_constructs::aws::ecs::{
    image_digest_parameter, Cluster, ClusterProps, ContainerImage,
};
use stackforge_constructs::aws::ecs_patterns::{
    QueueProcessingFargateService, QueueProcessingFargateServiceProps,
};
use stackforge_constructs::aws::sns::TopicProps;
use stackforge_constructs::{App, Environment, Error, Expr, Parameter, Stack, StackProps, Str};

use crate::data::Data;
use crate::registry::Registry;
use crate::settings::Settings;
use crate::DB_USER;

/// Builds the `worker` stack.
pub fn build(
    app: &App,
    env: &Environment,
    s: &Settings,
    vpc: &Vpc,
    data: &Data,
    registry: &Registry,
) -> Result<(Stack, QueueProcessingFargateService), Error> {
    let mut stack = Stack::new(
        app,
        env,
        "worker",
        StackProps {
            description: Some(format!(
                "orders ({}) worker: fulfils orders from the queue on Fargate, scaling on its depth; the alerting topic",
                s.env
            )),
            ..Default::default()
        },
    )?;
    let email = stack.add_parameter(
        "AlertEmail",
        Parameter::string()
            .description("E-mail address subscribed to the alerting topic")
            .allowed_pattern(r"[^@\s]+@[^@\s]+\.[^@\s]+", "an e-mail address"),
    )?;
    let mut root = stack.root();
    let digest = image_digest_parameter(&mut root, "ImageDigest")?;
    let cluster = Cluster::new(&mut root, "Cluster", ClusterProps::default())?;
    let db = &data.db;
    let mut environment = indexmap::IndexMap::new();
    environment.insert("DB_HOST".to_owned(), db.endpoint_address());
    environment.insert("DB_PORT".to_owned(), Expr::from(db.port().to_string()));
    environment.insert("DB_NAME".to_owned(), Expr::str("orders"));
    environment.insert("DB_IAM_USER".to_owned(), Expr::str(DB_USER));
    let worker = QueueProcessingFargateService::new(
        &mut root,
        "Fulfilment",
        &cluster,
        vpc,
        &data.orders,
        ContainerImage::ecr_digest_parameter(&registry.orders, digest),
        QueueProcessingFargateServiceProps {
            command: vec!["/app/orders".to_owned(), "fulfil".to_owned()],
            environment,
            min_tasks: s.worker_tasks.0,
            max_tasks: s.worker_tasks.1,
            alarm_name_prefix: Some(format!("orders-{}-fulfilment", s.env)),
            alerting_topic: AlertingTopic::Create(TopicProps {
                name: Some(Str::from(format!("orders-{}-alerts", s.env))),
                display_name: Some(Str::from(format!("orders {} alerts", s.env))),
                email_subscriptions: vec![email],
                ..Default::default()
            }),
            ..Default::default()
        },
    )?;
    db.allow_from(&mut root, "DatabaseFromWorker", &worker)?;
    worker.allow_to(&mut root, "WorkerToDatabase", db, db.port())?;
    db.grant_connect(
        &mut root,
        "WorkerConnectsToDatabase",
        &worker.task_role(),
        DB_USER,
    )?;
    Ok((stack, worker))
}
