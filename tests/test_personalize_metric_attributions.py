"""Metric attributions through boto3: CreateMetricAttribution ... DeleteMetricAttribution."""

from __future__ import annotations

from personalize_helpers import INTERACTIONS, ITEMS, ROLE, dataset
from test_wire import error_of

OUTPUT = {"roleArn": ROLE, "s3DataDestination": {"path": "s3://metrics-bucket/attribution/"}}
CLICKED_PRICE = {"eventType": "click", "metricName": "CLICKED_PRICE", "expression": "SUM(Items.PRICE)"}
CLICKS = {"eventType": "click", "metricName": "CLICKS", "expression": "SAMPLECOUNT()"}


def test_a_metric_attribution_and_its_metrics(p):
    group = p.create_dataset_group(name="measured")["datasetGroupArn"]
    dataset(p, group, "Interactions", INTERACTIONS, name="measured-interactions")
    dataset(p, group, "Items", ITEMS, name="measured-items")
    metrics = [CLICKED_PRICE, CLICKS]

    def create(**changes):
        return error_of(p.create_metric_attribution, **{"name": "m", "datasetGroupArn": group, "metrics": metrics,
                                                         "metricsOutputConfig": OUTPUT, **changes})

    assert create(metrics=[{**CLICKED_PRICE, "expression": "AVG(Items.PRICE)"}])[:2] == ("InvalidInputException", 400)
    assert create(metrics=[{**CLICKED_PRICE, "expression": "SUM(Items.GENRES)"}])[:2] == \
        ("InvalidInputException", 400)  # not a numeric column
    assert create(metrics=[CLICKED_PRICE, CLICKED_PRICE])[:2] == ("InvalidInputException", 400)
    assert p.list_metric_attributions(datasetGroupArn=group)["metricAttributions"] == []
    arn = p.create_metric_attribution(name="m", datasetGroupArn=group, metrics=metrics,
                                      metricsOutputConfig=OUTPUT)["metricAttributionArn"]
    described = p.describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"]
    assert (described["status"], described["datasetGroupArn"], described["metricsOutputConfig"]) == \
        ("ACTIVE", group, OUTPUT)
    assert create(name="second")[:2] == ("LimitExceededException", 400)  # one per dataset group
    assert p.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"] == metrics
    p.update_metric_attribution(metricAttributionArn=arn, removeMetrics=["CLICKS"],
                                addMetrics=[{"eventType": "buy", "metricName": "BOUGHT",
                                             "expression": "SUM(Interactions.EVENT_VALUE)"}])
    assert [m["metricName"] for m in p.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"]] == \
        ["CLICKED_PRICE", "BOUGHT"]
    assert error_of(p.update_metric_attribution, metricAttributionArn=arn, removeMetrics=["NOPE"])[:2] == \
        ("InvalidInputException", 400)
    assert error_of(p.delete_dataset_group, datasetGroupArn=group)[:2] == ("ResourceInUseException", 400)
    p.delete_metric_attribution(metricAttributionArn=arn)
    assert error_of(p.describe_metric_attribution, metricAttributionArn=arn) == \
        ("ResourceNotFoundException", 400, f"Resource Arn {arn} does not exist.")


def test_a_sum_waits_for_its_dataset(p):
    group = p.create_dataset_group(name="early")["datasetGroupArn"]
    dataset(p, group, "Interactions", INTERACTIONS, name="early-interactions")
    assert error_of(p.create_metric_attribution, name="m", datasetGroupArn=group, metrics=[CLICKED_PRICE],
                    metricsOutputConfig=OUTPUT)[:2] == ("InvalidInputException", 400)  # no Items dataset yet
    arn = p.create_metric_attribution(name="m", datasetGroupArn=group, metrics=[CLICKS],
                                      metricsOutputConfig=OUTPUT)["metricAttributionArn"]
    dataset(p, group, "Items", ITEMS, name="early-items")
    p.update_metric_attribution(metricAttributionArn=arn, addMetrics=[CLICKED_PRICE])
    p.update_metric_attribution(metricAttributionArn=arn, metricsOutputConfig={"roleArn": ROLE})
    described = p.describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"]
    assert described["metricsOutputConfig"] == {"roleArn": ROLE}
    assert p.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"] == [CLICKS, CLICKED_PRICE]
