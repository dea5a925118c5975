//! `api`: the orders API — the load-balanced Fargate pattern (internet-facing HTTPS with WAF,
//! an ECR repository the worker and the admin service share), sending accepted orders to the
//! queue and connecting to the database with IAM authentication.

use indexmap::IndexMap;
use stackforge_constructs::aws::ec2::Vpc;
use stackforge_constructs::aws::ecs::{ImageRef, ImageRepository};
use stackforge_constructs::aws::ecs_patterns::{
    LoadBalancedFargateService, LoadBalancedFargateServiceProps,
};
use stackforge_constructs::{App, Environment, Error, Expr, Stack, StackProps};

use crate::data::Data;
use crate::registry::Registry;
use crate::settings::Settings;
use crate::DB_USER;

/// Builds the `api` stack; returns it with the API (whose load balancer the web shop shares).
pub fn build(
    app: &App,
    env: &Environment,
    s: &Settings,
    vpc: &Vpc,
    data: &Data,
    registry: &Registry,
) -> Result<(Stack, LoadBalancedFargateService), Error> {
    let mut stack = Stack::new(
        app,
        env,
        "api",
        StackProps {
            description: Some(format!(
                "orders ({}) api: the orders API on Fargate behind an HTTPS load balancer with WAF, sending to the orders queue",
                s.env
            )),
            ..Default::default()
        },
    )?;
    let mut root = stack.root();
    let db = &data.db;
    let mut environment = IndexMap::new();
    environment.insert("DB_HOST".to_owned(), db.endpoint_address());
    environment.insert("DB_PORT".to_owned(), Expr::from(db.port().to_string()));
    environment.insert("DB_NAME".to_owned(), Expr::str("orders"));
    environment.insert("DB_IAM_USER".to_owned(), Expr::str(DB_USER));
    environment.insert("ORDERS_QUEUE_URL".to_owned(), data.orders.url().expr());
    let api = LoadBalancedFargateService::new(
        &mut root,
        "Api",
        vpc,
        LoadBalancedFargateServiceProps {
            container_name: "orders-api".to_owned(),
            repository: ImageRepository::Existing(registry.orders.clone()),
            image: ImageRef::DigestParameter("ImageDigest".to_owned()),
            min_tasks: s.api_tasks.0,
            max_tasks: s.api_tasks.1,
            environment,
            deletion_protection: s.deletion_protection,
            ..Default::default()
        },
    )?;
    data.orders
        .grant_send(&mut root, "ApiSendsOrders", &api.task_role())?;
    db.allow_from(&mut root, "DatabaseFromApi", &api)?;
    api.allow_to(&mut root, "ApiToDatabase", db, db.port())?;
    db.grant_connect(
        &mut root,
        "ApiConnectsToDatabase",
        &api.task_role(),
        DB_USER,
    )?;
    Ok((stack, api))
}
