"""Typos caught before AWS is asked: a reference to an undeclared name close to a declared one is a warning at
validate (an error with --strict, and at plan when the name is not live either), with the suggestion; an unknown
kind (a resource kind's, or the Target and Instance documents', in any case) and an undefined variable close to a
defined one get a suggestion too."""

from __future__ import annotations

from builders import (
    awslogs,
    cluster,
    container,
    documents,
    log_group,
    scaling_policy,
    scheduled_task,
    service,
    task_definition,
)

EXECUTION_ROLE = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"


def _tree(manifests, *texts: str):
    return manifests({"app.yaml": documents(*texts)})


def test_a_cluster_close_to_a_declared_one_is_a_warning_at_validate_with_the_suggestion(manifests, cli):
    path = _tree(manifests, cluster("demo"), task_definition("web"), service("web", cluster="demo2"))
    result = cli("validate", path)
    assert result.code == 0, result.err
    assert "Warning: " in result.err and "spec.cluster: Cluster 'demo2' is not declared in the manifests" in result.err
    assert "(did you mean 'demo'?)" in result.err


def test_with_strict_the_close_names_fail_validate(manifests, cli):
    path = _tree(manifests, cluster("demo"), task_definition("web"), service("web", cluster="demo2"))
    result = cli("validate", path, "--strict")
    assert result.code == 1
    assert "Invalid manifests (1 problem):\n  " in result.err and "app.yaml:" in result.err
    assert "(did you mean 'demo'?)" in result.err


def test_a_family_a_scaling_policy_a_schedule_and_a_log_group_each_get_their_suggestion(manifests, cli):
    logged = task_definition(
        "web", containers=[container(logConfiguration=awslogs("/ecs/wbe"))], executionRoleArn=EXECUTION_ROLE
    )
    path = _tree(
        manifests,
        cluster("prod"),
        logged,
        log_group("/ecs/web"),
        service("api", taskDefinition="wbe"),
        scaling_policy(service="apl"),
        scheduled_task(
            task="wbe",
            target={
                "arn": "prdo",
                "roleArn": "arn:aws:iam::123456789012:role/run",
                "ecsParameters": {"taskDefinitionArn": "wbe", "launchType": "FARGATE"},
            },
        ),
    )
    err = cli("validate", path).err
    assert "spec.taskDefinition: TaskDefinition 'wbe' is not declared in the manifests (did you mean 'web'?)" in err
    assert "spec.service: Service 'prod/apl' is not declared in the manifests (did you mean 'prod/api'?)" in err
    assert "spec.target.arn: Cluster 'prdo' is not declared in the manifests (did you mean 'prod'?)" in err
    assert "spec.target.ecsParameters.taskDefinitionArn: TaskDefinition 'wbe'" in err
    assert "LogGroup '/ecs/wbe' is not declared in the manifests (did you mean '/ecs/web'?)" in err


def test_names_far_from_every_declared_one_are_left_to_plan(manifests, cli):
    path = _tree(manifests, cluster("prod"), task_definition("api"), service("api", cluster="shared-platform"))
    result = cli("validate", path)
    assert result.code == 0 and "Warning" not in result.err


def test_an_unknown_kind_gets_a_suggestion(manifests, cli):
    path = manifests({"app.yaml": service().replace("kind: Service", "kind: Servce")})
    result = cli("validate", path)
    assert result.code == 1 and "kind: unknown kind 'Servce' (did you mean Service?)" in result.err


def test_a_mistyped_target_instance_or_resource_kind_is_named_with_its_file_and_field_at_validate_and_plan(
    manifests, cli, aws
):
    target = "apiVersion: ecs-reconciler/v1\nkind: Targt\nmetadata: {name: payments}\nspec: {region: eu-west-1}\n"
    instance = "apiVersion: ecs-reconciler/v1\nkind: instance\nmetadata: {name: shop}\n"
    path = manifests(
        {
            "instance.yaml": instance,
            "payments/target.yaml": target,
            "payments/app.yaml": documents(
                cluster(), task_definition(), service().replace("kind: Service", "kind: Servce")
            ),
        }
    )
    expected = [
        "instance.yaml:2: kind: unknown kind 'instance' (did you mean Instance?)",
        "payments/app.yaml:",
        "kind: unknown kind 'Servce' (did you mean Service?)",
        "payments/target.yaml:2: kind: unknown kind 'Targt' (did you mean Target?)",
    ]
    for command in ("validate", "plan"):
        result = cli(command, path)
        assert result.code == 1, (command, result.err)
        assert "Invalid manifests (3 problems)" in result.err, result.err
        assert all(line in result.err for line in expected), result.err
    assert aws.writes() == []


def test_an_undefined_variable_close_to_a_defined_one_gets_a_suggestion(manifests, cli):
    env = container(environment={"LOG_LEVEL": "${LOGLEVEL}"})
    path = _tree(manifests, cluster(), task_definition(containers=[env]), service())
    result = cli("validate", path, "--var", "LOG_LEVEL=debug")
    assert result.code == 1 and "variable LOGLEVEL is undefined; did you mean LOG_LEVEL?" in result.err


def test_plan_refuses_a_close_name_that_is_not_live_either_and_zero_writes(manifests, cli, aws):
    path = _tree(manifests, cluster("demo"), task_definition("web"), service("web", cluster="demo2"))
    result = cli("plan", path)
    assert result.code == 1
    assert "cluster 'demo2' is neither declared in the manifests nor live (did you mean 'demo'?)" in result.err
    assert aws.writes() == []


def test_plan_refuses_an_optional_log_group_close_to_a_declared_one(manifests, cli, aws):
    options = {"awslogs-create-group": "true"}
    logs = awslogs("/ecs/apl", **options)
    logged = task_definition(containers=[container(logConfiguration=logs)], executionRoleArn=EXECUTION_ROLE)
    path = _tree(manifests, cluster(), logged, log_group("/ecs/api"), service())
    result = cli("plan", path)
    assert result.code == 1
    assert "LogGroup '/ecs/apl' is neither declared in the manifests nor live (did you mean '/ecs/api'?)" in result.err


def test_plan_accepts_a_close_name_that_is_live(manifests, cli, aws, ecs):
    ecs.create_cluster(clusterName="demo2")
    path = _tree(manifests, cluster("demo"), task_definition("web"), service("web", cluster="demo2"))
    assert cli("plan", path).code == 2
