package dev.orchestrator.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/local deploys plugin templates as CloudFormation would (intrinsic functions in filter
 * policies resolved, a stack that does not deploy ends the command with its error), sets the
 * orchestrator stack's own parameters with --parameter, and fails a run loudly when a plugin's write
 * went wrong even though the run itself ended Complete. The plugins are copies of the Python example's
 * template with the hand-written protocol of {@link #BY_HAND} (boto3, written from docs/protocol.md, no kit),
 * changed as a team would change theirs.
 */
class LocalDeployTest {

    static final Path ROOT = OwnProjectTest.ROOT;
    static final Path EXAMPLE = ROOT.resolve("plugins-examples/audit-python");
    /** The example's handler as it was before the kits: the protocol's writes by hand, for tests that break one. */
    static final Path BY_HAND = ROOT.resolve("local-runner/src/test/fixtures/audit-python-by-hand/app.py");
    /** The example's own subscription filter, replaced in each copy. */
    static final String FILTER = """
                        FilterPolicy:
                          plugin:
                            - audit-python
            """;

    @TempDir
    Path project;

    @Test
    void aFilterPolicyWithIntrinsicFunctionsDeploysAndRunsToCompleteWithAStackParameterSet() throws Exception {
        // Only messages with a `region` attribute reach this plugin; the stack publishes `region` only
        // because of --parameter DefaultFilterAttributes=region (its default is tier,tenantId).
        copyExample(project, """
                            FilterPolicy:
                              plugin:
                                - !Ref PluginName
                                - !Sub '${PluginName}-${AWS::Region}'
                                - !If [IsProd, prod-only, !Join ['-', [!Ref PluginName, beta]]]
                                - Fn::ImportValue: !Sub ${OrchestratorStackName}-status-name
                              region: [!Ref Region]
                """, """
                  PluginName: {Type: String, Default: audit-python}
                  Region: {Type: String, Default: us}
                  Stage: {Type: String, Default: dev}
                Conditions:
                  IsProd: !Equals [!Ref Stage, prod]
                """);
        Files.createDirectories(project.resolve("events"));
        Files.writeString(project.resolve("events/start.json"), """
                {"uid": "ref-1", "workflow": "refs", "activities": ["Review"], "metadata": {"region": "eu"}, "pluginRegisterTimeout": 1}
                """);
        OwnProjectTest.Result r = OwnProjectTest.run(project, "run", "--activities", "Review",
                "--plugin", "template.yaml,Activity=Review,Region=eu", "--parameter", "DefaultFilterAttributes=region",
                "--start", "events/start.json");
        assertThat(r.output()).contains("parameters {DefaultFilterAttributes=region}",
                "filter {\"plugin\":[\"audit-python\",\"audit-python-us-east-1\",\"audit-python-beta\",",
                "\"region\":[\"eu\"]}", "registered plugin audit-python on Review/post (mandatory)",
                "· audit-python  Complete", "run ref-1/refs ended Complete");
        assertThat(r.output()).doesNotContain("error:");
        assertThat(r.code()).as(r.output()).isZero();
    }

    @Test
    void anUnknownStackParameterIsRefusedNamingIt() throws Exception {
        copyExample(project, FILTER, "");
        OwnProjectTest.Result r = OwnProjectTest.run(project, "run", "--activities", "Review", "--plugin", "template.yaml,Activity=Review",
                "--parameter", "TenantEventSource=my.tenants", "--start", "template.yaml");
        assertThat(r.output()).contains("error: --parameter TenantEventSource: template.yaml declares no parameter TenantEventSource",
                "TenantEventSources");
        assertThat(r.code()).isEqualTo(64);
    }

    @Test
    void aPluginStackThatDoesNotDeployEndsTheCommandWithItsError() throws Exception {
        copyExample(project, """
                            FilterPolicy:
                              plugin: [{prefix-of: audit}]
                """, "");
        Files.writeString(project.resolve("start.json"), "{\"uid\": \"x-1\", \"workflow\": \"x\", \"activities\": [\"Review\"]}");
        OwnProjectTest.Result r = OwnProjectTest.run(project, "run", "--activities", "Review", "--plugin", "template.yaml,Activity=Review",
                "--start", "start.json");
        assertThat(r.output()).contains("error: plugin stack plugin-" + project.getFileName() + " (" + project.resolve("template.yaml")
                + ") did not deploy: resource PostStage", "SNS refused the subscription", "prefix-of");
        assertThat(r.code()).isEqualTo(1);
    }

    @Test
    void aRunThatEndsCompleteStillFailsNamingThePluginWhoseWriteWentWrong() throws Exception {
        // 1. The silent plugin, in protocol v3: optional on a parallel stage, with one slip in its
        //    claim's condition (attribute_exists for attribute_not_exists), so every claim is refused and it
        //    returns quietly as if another delivery had the work: the run ends without it.
        Path typo = project.resolve("typo");
        copyExample(typo, "", "");
        // Its own logical id: functions of every stack share one local runtime, as they share one account.
        replace(typo.resolve("template.yaml"), "AuditFunction", "TypoFunction");
        replace(typo.resolve("template.yaml"), "-post-processing", "-parallel-processing");
        replace(typo.resolve("app.py"), "\"attribute_not_exists(#state) OR #state = :ns", "\"attribute_exists(#state) OR #state = :ns");
        replace(typo.resolve("app.py"), "\"mandatory\": True", "\"mandatory\": False");
        // 2. A listed plugin whose report forgets the version bump (the engine's optimistic lock).
        Path nobump = project.resolve("nobump");
        copyExample(nobump, FILTER.replace("audit-python", "audit-nobump"), "");
        replace(nobump.resolve("app.py"), "PLUGIN = \"audit-python\"", "PLUGIN = \"audit-nobump\"");
        replace(nobump.resolve("template.yaml"), "orchestrator-plugin: audit-python", "orchestrator-plugin: audit-nobump"); // the registrar checks the tag
        replace(nobump.resolve("app.py"), "+ [\"#updatedAt = :now\"]) + \" ADD #version :one\"", "+ [\"#updatedAt = :now\"])");
        // 3. An optional parallel plugin whose handler throws: Lambda's retries fail too, and the event
        //    goes to its on-failure queue; the run ends Complete without it.
        Path throwing = project.resolve("throwing");
        copyExample(throwing, "", "");
        replace(throwing.resolve("template.yaml"), "AuditFunction", "ThrowingFunction");
        replace(throwing.resolve("template.yaml"), "-post-processing", "-parallel-processing");
        replace(throwing.resolve("app.py"), "PLUGIN = \"audit-python\"", "PLUGIN = \"audit-throwing\"");
        replace(throwing.resolve("template.yaml"), "orchestrator-plugin: audit-python", "orchestrator-plugin: audit-throwing");
        replace(throwing.resolve("app.py"), "\"mandatory\": True", "\"mandatory\": False");
        replace(throwing.resolve("app.py"), "def handle(message):\n", "def handle(message):\n    raise RuntimeError(\"audit database unreachable\")\n");
        Files.writeString(project.resolve("start.json"),
                "{\"uid\": \"w-1\", \"workflow\": \"writes\", \"activities\": [\"Review\"], \"startTimeout\": 5}");
        OwnProjectTest.Result r = OwnProjectTest.run(project, "run", "--activities", "Review",
                "--plugin", "typo/template.yaml,Activity=Review", "--plugin", "nobump/template.yaml,Activity=Review",
                "--plugin", "throwing/template.yaml,Activity=Review", "--start", "start.json");
        assertThat(r.output()).contains("run w-1/writes ended Complete", "· audit-nobump  Complete",
                "error: plugin function plugin-typo/TypoFunction (plugin audit-python, Review/parallel): rule claim-refused: every write "
                        + "it made to its execution item of run w-1/writes was refused (ConditionalCheckFailedException) and ",
                "error: plugin function plugin-nobump/AuditFunction (plugin audit-nobump, Review/post) broke a rule in a UpdateItem of run w-1/writes: "
                        + "version-bump: the UpdateExpression lacks ADD version :one",
                "error: plugin function plugin-throwing/ThrowingFunction: a delivery failed (its handler failed every attempt; "
                        + "sent to its on-failure destination)", "audit database unreachable");
        assertThat(r.output()).doesNotContain("· audit-python  Complete");
        assertThat(r.code()).as(r.output()).isEqualTo(1);
    }

    /** The Python example's template and the hand-written handler in {@code dir}, its filter replaced and {@code parameters} added. */
    static void copyExample(Path dir, String filter, String parameters) throws IOException {
        Files.createDirectories(dir);
        Files.copy(BY_HAND, dir.resolve("app.py"));
        String template = Files.readString(EXAMPLE.resolve("template.yaml"));
        assertThat(template).contains(FILTER);
        template = template.replace(FILTER, filter);
        if (!parameters.isEmpty()) {
            // After the last declared parameter (LogRetentionDays' block ends before Globals).
            template = template.replace("\nGlobals:", "\n" + parameters + "\nGlobals:");
        }
        Files.writeString(dir.resolve("template.yaml"), template);
    }

    static void replace(Path file, String from, String to) throws IOException {
        String text = Files.readString(file);
        assertThat(text).as(file + " contains " + from).contains(from);
        Files.writeString(file, text.replace(from, to));
    }
}
