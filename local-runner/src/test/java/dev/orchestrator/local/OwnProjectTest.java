package dev.orchestrator.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A team's own plugin project, generated outside this repository, with activities of its own
 * choosing, run through scripts/local as its README says: a Java plugin loaded from the project's
 * build output, a workflow over the team's activities, the run followed to its end.
 */
class OwnProjectTest {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path project;

    @Test
    void aJavaPluginProjectElsewhereRunsInAWorkflowOfItsOwnActivities() throws Exception {
        generate(project);
        Result r = run(project, "run", "--activities", "Intake,Review", "--plugin", "template.yaml,Activity=Intake",
                "--start", "events/start.json");
        assertThat(r.output()).contains("building Java plugin project " + project,
                "registered plugin intake-check on Intake/pre (mandatory)", "order-7 / intake  Complete [ok]",
                "· intake-check  Complete", "run order-7/intake ended Complete");
        assertThat(r.code()).as(r.output()).isZero();
    }

    @Test
    void theSameFromTheProjectsConfigFileAndAFailingRunSaysSo() throws Exception {
        generate(project);
        // The plugin refuses a run without metadata.customer: the run fails and the exit code says so.
        Files.writeString(project.resolve("events/no-customer.json"),
                "{\"uid\":\"order-8\",\"workflow\":\"intake\",\"activities\":[\"Intake\",\"Review\"],\"metadata\":{}}");
        Files.writeString(project.resolve(LocalSettings.CONFIG_FILE), """
                {"activities": ["Intake", "Review"],
                 "plugins": [{"template": "template.yaml", "parameters": {"Activity": "Intake"}}],
                 "start": ["events/no-customer.json"], "registerTimeout": 1}
                """);
        Result r = run(project, "run");
        assertThat(r.output()).contains("order-8 / intake  Error [FAILED]", "· intake-check  Error: metadata.customer is required",
                "run order-8/intake ended Error");
        assertThat(r.code()).as(r.output()).isEqualTo(1);
    }

    record Result(int code, String output) {
    }

    /** scripts/local as a user types it, from their project's folder. */
    static Result run(Path cwd, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("scripts/local").toString()));
        cmd.addAll(List.of(args));
        return exec(cwd, cmd);
    }

    static Result exec(Path cwd, List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
        String output = new String(out, StandardCharsets.UTF_8);
        System.out.println(output);
        return new Result(p.exitValue(), output);
    }

    /** A plugin project as a team keeps it in its own repository: pom, handler, SAM template, a start event. */
    static void generate(Path dir) throws IOException {
        write(dir.resolve("pom.xml"), """
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>com.example</groupId>
                  <artifactId>intake-plugins</artifactId>
                  <version>0.1.0</version>
                  <properties>
                    <maven.compiler.release>17</maven.compiler.release>
                    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
                  </properties>
                  <dependencies>
                    <dependency>
                      <groupId>dev.orchestrator</groupId>
                      <artifactId>orchestrator-layer</artifactId>
                      <version>1.0.0-SNAPSHOT</version>
                      <scope>provided</scope>
                    </dependency>
                  </dependencies>
                  <build>
                    <plugins>
                      <plugin><artifactId>maven-compiler-plugin</artifactId><version>3.16.0</version></plugin>
                      <plugin><artifactId>maven-dependency-plugin</artifactId><version>3.11.0</version></plugin>
                    </plugins>
                  </build>
                </project>
                """);
        write(dir.resolve("src/main/java/com/example/IntakeCheck.java"), """
                package com.example;

                import dev.orchestrator.plugin.PluginContext;
                import dev.orchestrator.plugin.PluginHandler;
                import dev.orchestrator.plugin.PluginInfo;
                import java.util.Map;

                public class IntakeCheck extends PluginHandler {
                    public IntakeCheck() { super(); }
                    public IntakeCheck(Map<String, String> env) { super(env); }

                    @Override public PluginInfo info() {
                        return PluginInfo.builder("intake-check").mandatory(true).order(5).description("checks an order has a customer").build();
                    }

                    @Override protected void run(PluginContext ctx) {
                        if (!ctx.metadata().hasNonNull("customer")) {
                            throw new IllegalArgumentException("metadata.customer is required");
                        }
                    }
                }
                """);
        write(dir.resolve("template.yaml"), """
                AWSTemplateFormatVersion: '2010-09-09'
                Transform: AWS::Serverless-2016-10-31
                Parameters:
                  OrchestratorStackName: {Type: String, Default: orchestrator-dev}
                  Activity: {Type: String, Default: Handover}
                Resources:
                  IntakeCheckFunction:
                    Type: AWS::Serverless::Function
                    Properties:
                      Runtime: java21
                      CodeUri: .
                      Handler: com.example.IntakeCheck::handleRequest
                      Tags:
                        orchestrator-plugin: intake-check
                      Policies:
                        - Fn::ImportValue: !Sub ${OrchestratorStackName}-plugin-policy
                      Layers:
                        - Fn::ImportValue: !Sub ${OrchestratorStackName}-layer
                      Environment:
                        Variables:
                          STATUS_TABLE:
                            Fn::ImportValue: !Sub ${OrchestratorStackName}-status-name
                      Events:
                        PreStage:
                          Type: SNS
                          Properties:
                            Topic:
                              Fn::ImportValue: !Sub ${OrchestratorStackName}-${Activity}-pre-processing
                            FilterPolicy:
                              plugin: [intake-check]
                """);
        write(dir.resolve("events/start.json"), """
                {"uid": "order-7", "workflow": "intake", "activities": ["Intake", "Review"],
                 "metadata": {"customer": "acme"}, "pluginRegisterTimeout": 1}
                """);
    }

    private static void write(Path p, String text) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }
}
