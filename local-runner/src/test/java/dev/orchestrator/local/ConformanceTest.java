package dev.orchestrator.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scripts/conformance as a plugin author runs it: the examples conform; a careless plugin is told which rules it breaks. */
class ConformanceTest {

    static final Path ROOT = OwnProjectTest.ROOT;

    @TempDir
    Path project;

    @Test
    void thePythonExampleConforms() throws Exception {
        OwnProjectTest.Result r = OwnProjectTest.run(ROOT, "conformance", "plugins-examples/audit-python");
        // On the Python kit: it heartbeats while it works (its conformanceWorkSeconds hook), so the heartbeat rule runs.
        assertThat(r.output()).contains("PASS duplicate-once", "PASS report-error", "SKIP parallel-join",
                "PASS reclaim-stale", "PASS rerun-due", "PASS heartbeat",
                "PASS schedule", "PASS retry-error",
                "conformance of audit-python: 20 passed, 0 failed, 3 skipped -> CONFORMS");
        assertThat(r.code()).isZero();
    }

    @Test
    void templateParametersAreGivenAsRunTakesThem() throws Exception {
        // Activity=Review after the path, as `scripts/local run --plugin` takes it (no --activity); a non-default LogRetentionDays.
        OwnProjectTest.Result r = OwnProjectTest.run(ROOT, "conformance", "plugins-examples/audit-python/template.yaml,Activity=Review,LogRetentionDays=7");
        assertThat(r.output()).contains("on Review/post", "-> CONFORMS");
        assertThat(r.code()).isZero();
        OwnProjectTest.Result bad = OwnProjectTest.run(ROOT, "conformance", "plugins-examples/audit-python,Stage=parallel");
        assertThat(bad.output()).contains("declares no parameter Stage", "OrchestratorStackName", "Activity");
        assertThat(bad.code()).isEqualTo(64);
    }

    @Test
    void theNodeExampleConformsThroughScriptsConformance() throws Exception {
        OwnProjectTest.Result r = OwnProjectTest.exec(ROOT.resolve("plugins-examples/notify-node"),
                List.of(ROOT.resolve("scripts/conformance").toString(), "template.yaml", "--activity", "Review"));
        assertThat(r.output()).contains("on Review/parallel", "PASS parallel-join", "PASS join-window",
                "PASS claim-fields", "PASS heartbeat", "PASS schedule", "PASS retry-error",
                "conformance of notify-node: 22 passed, 0 failed, 1 skipped -> CONFORMS");
        assertThat(r.code()).isZero();
    }

    @Test
    void aPluginThatHeartbeatsWhileItWorksPassesTheHeartbeatRule() throws Exception {
        // The hand-written Python plugin with the conformanceWorkSeconds hook: it works that long, heartbeating every timeout / 3.
        LocalDeployTest.copyExample(project, LocalDeployTest.FILTER, "");
        LocalDeployTest.replace(project.resolve("app.py"), "def work(message):\n    metadata = message.get(\"metadata\") or {}\n", """
                def work(message):
                    metadata = message.get("metadata") or {}
                    if "conformanceWorkSeconds" in metadata:
                        execution = Execution(message, is_mandatory(message["activity"]), INFO["order"])
                        until = time.time() + float(metadata["conformanceWorkSeconds"])
                        while time.time() < until:
                            time.sleep(min(execution.timeout / 3, max(0.0, until - time.time())))
                            execution.update(["#heartbeatAt = :now"], [], "#state = :ip", {":ip": s("In Progress"), ":now": n(now_ms())})
                """);
        OwnProjectTest.Result r = OwnProjectTest.exec(project, List.of(ROOT.resolve("scripts/conformance").toString(), "template.yaml"));
        assertThat(r.output()).contains("PASS heartbeat", "s timeout and heartbeat (last",
                "SKIP schedule", "SKIP retry-error", "conformance of audit-python: 18 passed, 0 failed, 5 skipped -> CONFORMS");
        assertThat(r.code()).as(r.output()).isZero();
    }

    @Test
    void aPluginWhoseScheduleAndRetryErrorBreakTheProtocolFailsThoseRules() throws Exception {
        // The hand-written plugin with both hooks, each slipping: Schedule writes rerunAt in seconds, not
        // milliseconds; RetryError ends the work Error at once instead of running again later.
        LocalDeployTest.copyExample(project, LocalDeployTest.FILTER, "");
        LocalDeployTest.replace(project.resolve("app.py"), "    try:\n        work(message)\n", """
                    metadata = message.get("metadata") or {}
                    if "conformanceSchedule" in metadata:
                        at = int(time.time()) + int(metadata["conformanceSchedule"])  # slip: seconds
                        execution.update(["#rerunAt = :at", "#heartbeatAt = :now", "#message = :msg"], [], "#state = :ip",
                                         {":ip": s("In Progress"), ":at": n(at), ":now": n(now_ms()), ":msg": s("scheduled")})
                        return "scheduled"
                    if "conformanceRetry" in metadata:
                        execution.report("Error", str(metadata["conformanceRetry"]))  # slip: no re-run
                        return "error"
                    try:
                        work(message)
                """);
        OwnProjectTest.Result r = OwnProjectTest.exec(project, List.of(ROOT.resolve("scripts/conformance").toString(), "template.yaml"));
        assertThat(r.output()).contains("PASS report-complete",
                "FAIL schedule             after Schedule(600 s): rerunAt must be epoch ms between",
                "FAIL retry-error          after RetryError: state must stay 'In Progress', not 'Error'",
                "conformance of audit-python: 17 passed, 2 failed, 4 skipped -> DOES NOT CONFORM");
        assertThat(r.code()).as(r.output()).isEqualTo(1);
    }

    @Test
    void aJavaQueuePluginConformsWithItsWorkerReporting() throws Exception {
        OwnProjectTest.Result r = OwnProjectTest.run(ROOT, "conformance", "plugins-examples/provision-dns");
        assertThat(r.output()).contains("PASS report-complete", "PASS duplicate-once", "conformance of provision-dns:", "-> CONFORMS");
        assertThat(r.code()).isZero();
    }

    @Test
    void aPluginThatClaimsWithoutAConditionFailsNamingTheRules() throws Exception {
        Files.writeString(project.resolve("app.py"), """
                import json, os, time
                import boto3

                db = boto3.client("dynamodb")

                def handler(event, context):
                    if event.get("action") == "initialize":
                        return {"pluginName": "careless", "default": {"mandatory": True}}
                    for record in event["Records"]:
                        m = json.loads(record["Sns"]["Message"])
                        if m.get("plugin") not in (None, "careless"):
                            continue
                        for f in ("uid", "workflow", "activity", "stage"):
                            if f not in m:
                                raise ValueError("stage message lacks '%s'" % f)
                        names = {"#st": "state", "#att": "attempt"}
                        now = {"N": str(int(time.time() * 1000))}
                        key = {"uid": {"S": "~careless~" + m["uid"]},
                               "workflow": {"S": "\\x1f".join((m["workflow"], m["activity"], m["stage"]))}}
                        # Broken on purpose: no condition, so every delivery claims and works again.
                        db.update_item(TableName=os.environ["STATUS_TABLE"], Key=key, ExpressionAttributeNames=names,
                            UpdateExpression="SET #st = :ip, startedAt = :now, heartbeatAt = :now, #att = if_not_exists(#att, :zero) + :one"
                                + ", mandatory = :t, runUid = :u, runWorkflow = :w, activity = :a, stage = :s ADD version :one",
                            ExpressionAttributeValues={":ip": {"S": "In Progress"}, ":now": now, ":one": {"N": "1"}, ":zero": {"N": "0"},
                                ":t": {"BOOL": True}, ":u": {"S": m["uid"]}, ":w": {"S": m["workflow"]}, ":a": {"S": m["activity"]},
                                ":s": {"S": m["stage"]}})
                        time.sleep(float(m["metadata"].get("conformanceWorkSeconds", 0)))  # works, never heartbeats
                        now = {"N": str(int(time.time() * 1000))}
                        db.update_item(TableName=os.environ["STATUS_TABLE"], Key=key, ExpressionAttributeNames={"#st": "state"},
                            UpdateExpression="SET #st = :c, endedAt = :now ADD version :one",
                            ExpressionAttributeValues={":c": {"S": "Complete"}, ":now": now, ":one": {"N": "1"}})
                """);
        Files.writeString(project.resolve("template.yaml"), """
                AWSTemplateFormatVersion: '2010-09-09'
                Transform: AWS::Serverless-2016-10-31
                Parameters:
                  OrchestratorStackName: {Type: String, Default: orchestrator-dev}
                  Activity: {Type: String, Default: Intake}
                Resources:
                  CarelessFunction:
                    Type: AWS::Serverless::Function
                    Properties:
                      Runtime: python3.12
                      CodeUri: .
                      Handler: app.handler
                      Environment:
                        Variables:
                          STATUS_TABLE:
                            Fn::ImportValue: !Sub ${OrchestratorStackName}-status-name
                      Events:
                        Pre:
                          Type: SNS
                          Properties:
                            Topic:
                              Fn::ImportValue: !Sub ${OrchestratorStackName}-${Activity}-pre-processing
                """);
        OwnProjectTest.Result r = OwnProjectTest.exec(project, List.of(ROOT.resolve("scripts/conformance").toString(), "template.yaml"));
        assertThat(r.output()).contains("on Intake/pre", "PASS initialize", "PASS report-complete",
                "FAIL claim-conditional    redelivery after Complete wrote to the item",
                "FAIL version-bump         updatedAt is", "FAIL duplicate-once", "FAIL skip-done", "PASS reclaim-stale", "FAIL rerun-due",
                "SKIP report-error", "FAIL heartbeat", "s pluginTimeout, but never heartbeat after the claim",
                "SKIP schedule", "SKIP retry-error",
                "conformance of careless: 9 passed, 7 failed, 6 skipped -> DOES NOT CONFORM");
        assertThat(r.code()).isEqualTo(1);
    }
}
