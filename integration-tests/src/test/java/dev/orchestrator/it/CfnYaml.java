package dev.orchestrator.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/** Reads CloudFormation YAML; short-form tags (!Ref, !Sub, ...) become {"Fn::X": value} maps. */
final class CfnYaml {

    private CfnYaml() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> load(Path file) {
        try {
            return (Map<String, Object>) new Yaml(new TagConstructor()).load(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final class TagConstructor extends SafeConstructor {
        TagConstructor() {
            super(new LoaderOptions());
            this.yamlConstructors.put(null, new AbstractConstruct() {
                @Override
                public Object construct(Node node) {
                    String tag = node.getTag().getValue().substring(1);
                    String fn = tag.equals("Ref") || tag.equals("Condition") ? tag : "Fn::" + tag;
                    Object value;
                    if (node instanceof ScalarNode s) {
                        value = s.getValue();
                    } else if (node instanceof SequenceNode s) {
                        value = constructSequence(s);
                    } else {
                        value = constructMapping((MappingNode) node);
                    }
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put(fn, value);
                    return m;
                }
            });
        }
    }
}
