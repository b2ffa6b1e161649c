package dev.orchestrator.local;

import dev.orchestrator.core.PluginRegistration;
import dev.orchestrator.core.PluginRegistry;
import dev.orchestrator.core.Stage;
import dev.orchestrator.testkit.Emulator;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import dev.orchestrator.testkit.LocalLambdaRuntime;
import dev.orchestrator.testkit.SamStack;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The orchestrator stack and the example plugin stacks deployed to the emulator from their real
 * templates, with every handler running in this process.
 */
final class LocalStack implements AutoCloseable {

    static final String STACK = "local";

    final Emulator emulator;
    final SamStack orchestrator;
    final List<SamStack> plugins = new ArrayList<>();
    final LocalLambdaRuntime runtime;
    final List<String> activities;

    private LocalStack(Emulator emulator, SamStack orchestrator, LocalLambdaRuntime runtime, List<String> activities) {
        this.activities = List.copyOf(activities);
        this.emulator = emulator;
        this.orchestrator = orchestrator;
        this.runtime = runtime;
    }

    static LocalStack deploy(Path root, List<String> activities, Progress progress) {
        Emulator emulator = new Emulator().start();
        try {
            progress.step("emulator at " + emulator.endpoint());
            SamStack orchestrator = SamStack.deploy(emulator, root.resolve("template.yaml"), STACK, Map.of(
                    "StackTagName", STACK, "EnvironmentTagName", "local",
                    "Activities", String.join(",", activities), "DefaultRegisterTimeout", "2"));
            progress.step("deployed template.yaml as stack '" + STACK + "' (" + orchestrator.functions().size()
                    + " functions, activities " + activities + ")");
            LocalLambdaRuntime runtime = new LocalLambdaRuntime(emulator, orchestrator);
            LocalStack stack = new LocalStack(emulator, orchestrator, runtime, activities);
            for (Path t : pluginTemplates(root)) {
                String name = "plugin-" + t.getParent().getFileName();
                Map<String, String> params = new LinkedHashMap<>();
                params.put("OrchestratorStackName", STACK);
                params.put("OrchestratorLayer", "/local/orchestrator/stacks/" + STACK.replace("-", "") + "/layer");
                SamStack p = SamStack.deploy(emulator, t, name, params);
                runtime.add(p);
                stack.plugins.add(p);
                progress.step("deployed plugin stack " + name + " (" + String.join(", ", p.functions().keySet()) + ")");
            }
            runtime.start();
            stack.registerPlugins(progress);
            return stack;
        } catch (RuntimeException e) {
            emulator.close();
            throw e;
        }
    }

    /** Example plugin stacks whose handlers are on this classpath. */
    static List<Path> pluginTemplates(Path root) {
        Path dir = root.resolve("plugins-examples");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.resolve("template.yaml")).filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lets the stack's registrar find the plugins from their subscriptions, as its schedule would. */
    void registerPlugins(Progress progress) {
        String result = runtime.invoke("RegistrarFunction", "{\"action\":\"reconcile\"}");
        PluginRegistry registry = new PluginRegistry(emulator.client(DynamoDbClient.builder()), export("plugin-name"));
        progress.step("registrar reconciled the topics' subscriptions: " + result);
        for (String activity : activities) {
            for (Stage stage : Stage.values()) {
                for (PluginRegistration r : registry.plugins(activity, stage)) {
                    progress.step("registered plugin " + r.pluginName() + " on " + activity + "/" + stage.wireName()
                            + (r.mandatory() ? " (mandatory)" : " (optional)"));
                }
            }
        }
    }

    String export(String suffix) {
        return orchestrator.export(STACK + "-" + suffix);
    }

    @Override
    public void close() {
        runtime.close();
        emulator.close();
    }
}
