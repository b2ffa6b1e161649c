package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.RunIndex;
import dev.orchestrator.core.StackExports;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** template.yaml and the code agree: handlers exist, env vars read = env vars set, exports are there. */
class TemplateContractTest {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Map<String, Object> TEMPLATE = CfnYaml.load(ROOT.resolve("template.yaml"));
    static final Pattern ENV_REF = Pattern.compile("EnvNames\\.([A-Z_]+)");

    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> functions() {
        Map<String, Map<String, Object>> out = new java.util.LinkedHashMap<>();
        ((Map<String, Object>) TEMPLATE.get("Resources")).forEach((id, r) -> {
            // Fn::ForEach entries are lists (identifier, collection, fragment): no functions live there.
            if (r instanceof Map<?, ?> m && "AWS::Serverless::Function".equals(m.get("Type"))) {
                Map<String, Object> res = (Map<String, Object>) m;
                out.put(id, (Map<String, Object>) res.get("Properties"));
            }
        });
        return out;
    }

    @Test
    void everyHandlerIsAClassOfItsOwnModule() {
        assertThat(functions()).isNotEmpty();
        functions().forEach((id, props) -> {
            String handler = ((String) props.get("Handler")).split("::")[0];
            Path source = ROOT.resolve((String) props.get("CodeUri"))
                    .resolve("src/main/java").resolve(handler.replace('.', '/') + ".java");
            assertThat(source).as("handler of %s", id).exists();
            assertThat(ROOT.resolve((String) props.get("CodeUri")).resolve("pom.xml")).as("%s builds with Maven", id).exists();
        });
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyExamplePluginHandlerIsAClassOfItsModule() throws IOException {
        List<Path> templates;
        try (Stream<Path> s = Files.list(ROOT.resolve("plugins-examples"))) {
            templates = s.map(p -> p.resolve("template.yaml")).filter(Files::isRegularFile).toList();
        }
        assertThat(templates).hasSizeGreaterThanOrEqualTo(4);
        for (Path t : templates) {
            Map<String, Object> template = CfnYaml.load(t);
            Map<String, Object> resources = (Map<String, Object>) template.get("Resources");
            Map<String, Object> globals = (Map<String, Object>) ((Map<String, Object>) template.getOrDefault("Globals", Map.of()))
                    .getOrDefault("Function", Map.of());
            assertThat(resources).as(t.toString()).isNotEmpty();
            resources.forEach((id, r) -> {
                if (!"AWS::Serverless::Function".equals(((Map<String, Object>) r).get("Type"))) {
                    return;
                }
                Map<String, Object> props = (Map<String, Object>) ((Map<String, Object>) r).get("Properties");
                String handler = ((String) props.getOrDefault("Handler", globals.get("Handler"))).split("::")[0];
                String runtime = String.valueOf(props.getOrDefault("Runtime", globals.get("Runtime")));
                // Python and Node.js plugins (docs/protocol.md): module.function / file.export in the CodeUri folder.
                Path code = t.getParent().resolve(String.valueOf(props.getOrDefault("CodeUri", globals.getOrDefault("CodeUri", "."))));
                String module = handler.substring(0, Math.max(0, handler.lastIndexOf('.')));
                if (runtime.startsWith("python")) {
                    assertThat(code.resolve(module.replace('.', '/') + ".py")).as("handler of %s in %s", id, t).exists();
                } else if (runtime.startsWith("nodejs")) {
                    assertThat(List.of(".js", ".mjs", ".cjs")).as("handler of %s in %s", id, t)
                            .anyMatch(ext -> Files.isRegularFile(code.resolve(module + ext)));
                } else {
                    assertThat(t.getParent().resolve("src/main/java").resolve(handler.replace('.', '/') + ".java"))
                            .as("handler of %s in %s", id, t).exists();
                }
            });
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void environmentVariablesSetAreExactlyThoseTheCodeReads() {
        Set<String> known = envNameValues();
        functions().forEach((id, props) -> {
            Map<String, Object> env = (Map<String, Object>) ((Map<String, Object>) props.getOrDefault("Environment",
                    Map.of("Variables", Map.of()))).get("Variables");
            Set<String> set = new TreeSet<>(env.keySet());
            Set<String> read = readByModule(ROOT.resolve((String) props.get("CodeUri")));
            read.removeAll(EnvNames.PROVIDED_BY_RUNTIME);
            assertThat(set).as("env vars of %s set in template.yaml vs read by its code", id).isEqualTo(read);
            assertThat(known).as("env vars of %s are named in EnvNames", id).containsAll(set);
        });
    }

    @Test
    @SuppressWarnings("unchecked")
    void theExportsOfTheArchitectureExist() {
        List<String> exports = new ArrayList<>();
        collectExportNames(TEMPLATE.get("Outputs"), exports);
        assertThat(exports).contains(
                "${AWS::StackName}-${Activity}-pre-processing",
                "${AWS::StackName}-${Activity}-parallel-processing",
                "${AWS::StackName}-${Activity}-post-processing",
                "${AWS::StackName}-status-name", "${AWS::StackName}-status-arn",
                "${AWS::StackName}-plugin-name", "${AWS::StackName}-plugin-arn",
                "${AWS::StackName}-layer", "${AWS::StackName}-start-workflow",
                "${AWS::StackName}-plugin-policy");
        // The engine computes topic ARNs from names: the template's topic names must follow Topics.name.
        String topics = TEMPLATE.get("Resources").toString();
        for (Stage s : Stage.values()) {
            assertThat(topics).contains(Topics.name("${AWS::StackName}", "${Activity}", s));
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void globalVariablesAreThoseTheLayerReads() {
        Map<String, Object> function = (Map<String, Object>) ((Map<String, Object>) TEMPLATE.get("Globals")).get("Function");
        Map<String, Object> env = (Map<String, Object>) ((Map<String, Object>) function.get("Environment")).get("Variables");
        Set<String> set = new TreeSet<>(env.keySet());
        assertThat(envNameValues()).as("Globals variables are named in EnvNames").containsAll(set);
        set.remove(EnvNames.JAVA_TOOL_OPTIONS); // the JVM reads it, not our code
        // Every function runs the layer's Log and Metrics: what Globals sets for all, the layer must read.
        assertThat(readByModule(ROOT.resolve("layer"))).as("variables of Globals read by the layer").containsAll(set);
        assertThat(set).contains(EnvNames.LOG_LEVEL, EnvNames.METRICS_NAMESPACE, EnvNames.SERVICE_NAME);
    }

    @Test
    void everyExportOurToolsReadIsExported() {
        List<String> exports = new ArrayList<>();
        collectExportNames(TEMPLATE.get("Outputs"), exports);
        for (String suffix : StackExports.ALL) {
            assertThat(exports).as("export read by the CLI, the local runner or the bench").contains("${AWS::StackName}-" + suffix);
        }
        assertThat(StackExports.name("shop", StackExports.STATUS_TABLE)).isEqualTo("shop-status-name");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theRunIndexIsTheOneTheCodeQueries() {
        Map<String, Object> table = resource("StatusTable");
        List<Map<String, Object>> indexes = (List<Map<String, Object>>) table.get("GlobalSecondaryIndexes");
        assertThat(indexes).extracting(i -> i.get("IndexName")).containsExactly(RunIndex.NAME);
        Map<String, Object> index = indexes.get(0);
        assertThat((List<Map<String, Object>>) index.get("KeySchema")).containsExactly(
                Map.of("AttributeName", RunIndex.PARTITION, "KeyType", "HASH"),
                Map.of("AttributeName", RunIndex.SORT, "KeyType", "RANGE"));
        Map<String, Object> projection = (Map<String, Object>) index.get("Projection");
        assertThat(projection.get("ProjectionType")).isEqualTo("INCLUDE");
        // Everything the run list shows must be projected, and nothing a plugin writes may be (it would be an index write).
        assertThat((List<String>) projection.get("NonKeyAttributes")).containsExactlyElementsOf(RunIndex.PROJECTED);
        assertThat((List<Map<String, Object>>) table.get("AttributeDefinitions")).contains(
                Map.of("AttributeName", RunIndex.PARTITION, "AttributeType", "S"),
                Map.of("AttributeName", RunIndex.SORT, "AttributeType", "N"));
        assertThat((List<Map<String, Object>>) table.get("KeySchema")).containsExactly(
                Map.of("AttributeName", ItemCodec.UID, "KeyType", "HASH"),
                Map.of("AttributeName", ItemCodec.WORKFLOW, "KeyType", "RANGE"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyTableExpiresItemsOnTheAttributeTheCodeWrites() {
        List<String> withTtl = new ArrayList<>();
        ((Map<String, Object>) TEMPLATE.get("Resources")).forEach((id, r) -> {
            if (r instanceof Map<?, ?> m && "AWS::DynamoDB::Table".equals(m.get("Type"))) {
                Map<String, Object> ttl = (Map<String, Object>) ((Map<String, Object>) m.get("Properties")).get("TimeToLiveSpecification");
                if (ttl != null) {
                    withTtl.add(id);
                    assertThat(ttl).as("TTL of %s", id).containsEntry("AttributeName", ItemCodec.EXPIRES_AT).containsEntry("Enabled", true);
                }
            }
        });
        // Runs, their history and the tenant router's processed events expire; the others hold configuration.
        assertThat(withTtl).contains("StatusTable", "HistoryTable", "ProcessedEventsTable");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> resource(String id) {
        Map<String, Object> r = (Map<String, Object>) ((Map<String, Object>) TEMPLATE.get("Resources")).get(id);
        assertThat(r).as("resource %s in template.yaml", id).isNotNull();
        return (Map<String, Object>) r.get("Properties");
    }

    @SuppressWarnings("unchecked")
    static void collectExportNames(Object node, List<String> out) {
        if (node instanceof Map<?, ?> m) {
            Object export = m.get("Export");
            if (export instanceof Map<?, ?> e && e.get("Name") instanceof Map<?, ?> name && name.get("Fn::Sub") instanceof String s) {
                out.add(s);
            }
            m.values().forEach(v -> collectExportNames(v, out));
        } else if (node instanceof List<?> l) {
            l.forEach(v -> collectExportNames(v, out));
        }
    }

    static Set<String> envNameValues() {
        Set<String> out = new TreeSet<>();
        for (Field f : EnvNames.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                try {
                    out.add((String) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return out;
    }

    static Set<String> readByModule(Path module) {
        Set<String> read = new TreeSet<>();
        try (Stream<Path> files = Files.walk(module.resolve("src/main/java"))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = ENV_REF.matcher(Files.readString(p));
                while (m.find()) {
                    read.add(valueOf(m.group(1)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return read;
    }

    static String valueOf(String constant) {
        try {
            Object v = EnvNames.class.getField(constant).get(null);
            return v instanceof String s ? s : constant;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("EnvNames." + constant + " does not exist", e);
        }
    }
}
