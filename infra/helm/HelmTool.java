// Helm's lint and template, embedded (helm-java), for checking deploy/helm without a helm
// binary or a cluster. Single-file source launch, no compile step:
//   java -cp '.infra/helm/libs/*' infra/helm/HelmTool.java lint <chart>
//   java -cp '.infra/helm/libs/*' infra/helm/HelmTool.java template <chart> <release> [values.yaml…]
// lint prints Helm's messages; template prints the rendered YAML. Exit 1 on a failed lint or
// a render error (values.schema.json violations included), with Helm's message on stderr.
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.nio.file.Path;
import java.nio.file.Paths;

public class HelmTool {
  public static void main(String[] args) {
    if (args.length < 2 || !(args[0].equals("lint") || (args[0].equals("template") && args.length >= 3))) {
      System.err.println("usage: HelmTool lint <chart> | HelmTool template <chart> <release> [values.yaml...]");
      System.exit(2);
    }
    Path chart = Paths.get(args[1]);
    try {
      if (args[0].equals("lint")) {
        // strict: a warning (e.g. a template that renders nothing valid) fails too
        LintResult result = new Helm(chart).lint().strict().call();
        result.getMessages().forEach(System.out::println);
        System.exit(result.isFailed() ? 1 : 0);
      }
      TemplateCommand template = new Helm(chart).template().withName(args[2]);
      for (int i = 3; i < args.length; i++) template = template.withValuesFile(Paths.get(args[i]));
      System.out.print(template.call());
    } catch (RuntimeException e) {
      System.err.println(e.getMessage());
      System.exit(1);
    }
  }
}
