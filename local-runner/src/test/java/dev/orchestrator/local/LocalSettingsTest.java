package dev.orchestrator.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.core.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scripts/local's options and orchestrator-local.json: what a user's project deploys. */
class LocalSettingsTest {

    @TempDir
    Path project;

    @Test
    void commandLineNamesActivitiesPluginsWithParametersAndStarts() throws Exception {
        Path template = file("plugins/audit/template.yaml");
        Path start = file("events/start.json");
        LocalSettings s = LocalSettings.parse(List.of("--activities", "Intake,Review", "--plugin", "plugins/audit,Activity=Review",
                "--start", "events/start.json", "--register-timeout", "7"), project);
        assertThat(s.ownProject()).isTrue();
        assertThat(s.activities()).containsExactly("Intake", "Review");
        assertThat(s.plugins()).containsExactly(new LocalSettings.PluginRef(template, Map.of("Activity", "Review")));
        assertThat(s.starts()).containsExactly(start);
        assertThat(s.registerTimeout()).isEqualTo(7);
    }

    @Test
    void withoutOptionsTheProjectsConfigFileIsReadAndItsPathsAreRelativeToIt() throws Exception {
        Path template = file("audit/template.yaml");
        Path start = file("start.json");
        Files.writeString(project.resolve(LocalSettings.CONFIG_FILE), """
                {"activities": ["Intake", "Review"],
                 "plugins": ["audit/template.yaml", {"template": "audit/template.yaml", "parameters": {"Activity": "Intake"}}],
                 "start": ["start.json"], "registerTimeout": 3}
                """);
        LocalSettings s = LocalSettings.parse(List.of(), project);
        assertThat(s.activities()).containsExactly("Intake", "Review");
        assertThat(s.plugins()).containsExactly(new LocalSettings.PluginRef(template, Map.of()),
                new LocalSettings.PluginRef(template, Map.of("Activity", "Intake")));
        assertThat(s.starts()).containsExactly(start);
        assertThat(s.registerTimeout()).isEqualTo(3);
        // Options add to the file: activities given on the command line win.
        assertThat(LocalSettings.parse(List.of("--config", LocalSettings.CONFIG_FILE, "--activities", "Only"), project).activities())
                .containsExactly("Only");
    }

    @Test
    void parametersOfTheOrchestratorStackComeFromTheCommandLineAndTheConfigFile() throws Exception {
        file("template.yaml");
        assertThat(LocalSettings.parse(List.of(), project).parameters()).isEmpty();
        LocalSettings s = LocalSettings.parse(List.of("--parameter", "TenantEventSources=a.source,b.source",
                "--parameter", "LogLevel=DEBUG"), project);
        assertThat(s.parameters()).containsOnly(Map.entry("TenantEventSources", "a.source,b.source"), Map.entry("LogLevel", "DEBUG"));
        Files.writeString(project.resolve(LocalSettings.CONFIG_FILE), """
                {"activities": ["Intake"], "plugins": ["template.yaml"],
                 "parameters": {"TenantEventSources": "file.source", "DefaultFilterAttributes": "tier,region"}}
                """);
        // The command line wins per key; the file's other keys stay.
        assertThat(LocalSettings.parse(List.of("--parameter", "TenantEventSources=cli.source"), project).parameters())
                .containsEntry("TenantEventSources", "cli.source").containsEntry("DefaultFilterAttributes", "tier,region");
        assertThatThrownBy(() -> LocalSettings.parse(List.of("--parameter", "TenantEventSources"), project))
                .hasMessageContaining("--parameter TenantEventSources: not Key=Value");
        Files.writeString(project.resolve(LocalSettings.CONFIG_FILE), """
                {"activities": ["Intake"], "parameters": ["TenantEventSources=x"]}
                """);
        assertThatThrownBy(() -> LocalSettings.parse(List.of(), project)).hasMessageContaining("'parameters' must be an object");
    }

    @Test
    void aStackParameterTheTemplateDoesNotDeclareOrTheRunnerSetsIsRefusedNamingIt() {
        Path template = OwnProjectTest.ROOT.resolve("template.yaml");
        LocalStack.checkParameters(template, Map.of("TenantEventSources", "x", "DefaultFilterAttributes", "region"));
        assertThatThrownBy(() -> LocalStack.checkParameters(template, Map.of("TenantEventSource", "x")))
                .hasMessageContaining("--parameter TenantEventSource: template.yaml declares no parameter TenantEventSource")
                .hasMessageContaining("TenantEventSources");
        assertThatThrownBy(() -> LocalStack.checkParameters(template, Map.of("Activities", "A,B")))
                .hasMessageContaining("--parameter Activities: set with --activities");
    }

    @Test
    void noOptionsAndNoConfigFileMeansTheDemo() {
        LocalSettings s = LocalSettings.parse(List.of(), project);
        assertThat(s.ownProject()).isFalse();
        assertThat(s.activities()).isEqualTo(LocalSettings.DEMO_ACTIVITIES);
        assertThat(s.registerTimeout()).isEqualTo(LocalSettings.DEFAULT_REGISTER_TIMEOUT).isZero();
    }

    @Test
    void theRegisterTimeoutDefaultsToTheStacksDefaultAndAcceptsZero() throws Exception {
        // The stack's DefaultRegisterTimeout defaults to 0 (template.yaml); the local stack's default is the same.
        assertThat(LocalStack.declaredParameters(OwnProjectTest.ROOT.resolve("template.yaml"))).contains("DefaultRegisterTimeout");
        assertThat(java.nio.file.Files.readString(OwnProjectTest.ROOT.resolve("template.yaml")))
                .contains("  DefaultRegisterTimeout:\n    Type: Number\n    Default: " + LocalSettings.DEFAULT_REGISTER_TIMEOUT + "\n");
        file("t/template.yaml");
        LocalSettings own = LocalSettings.parse(List.of("--activities", "A", "--plugin", "t"), project);
        assertThat(own.registerTimeout()).isZero();
        assertThat(LocalSettings.parse(List.of("--activities", "A", "--register-timeout", "0"), project).registerTimeout()).isZero();
        assertThat(LocalSettings.parse(List.of("--activities", "A", "--register-timeout", "86400"), project).registerTimeout()).isEqualTo(86_400);
        Files.writeString(project.resolve("zero.json"), "{\"activities\": [\"A\"], \"registerTimeout\": 0}");
        assertThat(LocalSettings.parse(List.of("--config", "zero.json"), project).registerTimeout()).isZero();
        Files.writeString(project.resolve("neg.json"), "{\"activities\": [\"A\"], \"registerTimeout\": -1}");
        assertThatThrownBy(() -> LocalSettings.parse(List.of("--config", "neg.json"), project))
                .hasMessageContaining("'registerTimeout' must be a whole number of seconds from 0 to 86400, not -1");
    }

    @Test
    void mistakesAreNamed() throws Exception {
        file("t/template.yaml");
        assertThatThrownBy(() -> LocalSettings.parse(List.of("--plugin", "t"), project)).hasMessageContaining("--plugin needs --activities");
        assertThatThrownBy(() -> LocalSettings.parse(List.of("--activities", "A-B"), project))
                .hasMessageContaining("activity 'A-B' must be letters and digits");
        assertThatThrownBy(() -> LocalSettings.parse(List.of("--activities", "A", "--plugin", "nowhere/template.yaml"), project))
                .hasMessageContaining("--plugin: no file");
        assertThatThrownBy(() -> LocalSettings.parse(List.of("--activities", "A", "--plugin", "t,Activity"), project))
                .hasMessageContaining("'Activity' is not Param=Value");
        assertThatThrownBy(() -> LocalSettings.parse(List.of("--register-timeout", "-1"), project))
                .hasMessageContaining("--register-timeout must be a whole number of seconds from 0 to 86400, not '-1'");
        assertThatThrownBy(() -> LocalSettings.parse(List.of("--register-timeout", "86401"), project))
                .hasMessageContaining("--register-timeout must be a whole number of seconds from 0 to 86400, not '86401'");
        assertThatThrownBy(() -> LocalSettings.parse(List.of("--frobnicate", "x"), project)).hasMessageContaining("unknown option --frobnicate");
        Files.writeString(project.resolve("bad.json"), "{\"activity\": [\"A\"], \"plugins\": [3]}");
        assertThatThrownBy(() -> LocalSettings.parse(List.of("--config", "bad.json"), project))
                .hasMessageContaining("unknown key 'activity'").hasMessageContaining("'activities' must be a non-empty list")
                .hasMessageContaining("each of 'plugins' is a template path");
    }

    @Test
    void initializeRepliesAreCheckedAsTheSchemaSays() {
        assertThat(Conformance.initializeProblems(Json.parse(
                "{\"pluginName\":\"audit-python\",\"default\":{\"mandatory\":true,\"timeout\":60},\"order\":5}"), "A")).isEmpty();
        assertThat(Conformance.initializeProblems(Json.parse(
                "{\"pluginName\":\"\",\"default\":{\"timeout\":0},\"overrides\":{\"A\":{\"mandatory\":\"yes\"}},\"alwaysRun\":1}"), "A"))
                .containsExactly("pluginName must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit (got \"\")",
                        "default.mandatory must be true or false", "default.timeout must be a positive whole number of seconds",
                        "overrides.A.mandatory must be true or false", "alwaysRun must be true or false");
    }

    private Path file(String relative) throws Exception {
        Path p = project.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, "{}");
        return p;
    }
}
