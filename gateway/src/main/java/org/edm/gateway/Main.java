package org.edm.gateway;

import java.util.HashMap;
import java.util.Map;
import org.edm.common.ConfigException;
import org.edm.common.StartupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the fat jar. With no arguments it runs every concern in one JVM. Options
 * override the environment: --roles=a,b  --cluster  --cluster-members=h:p,...
 * --cluster-host=addr  --cluster-port=n  --conf=extra.yaml
 */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  /** The one option that may stand alone; every other needs =value. */
  private static final String FLAG = "--cluster";

  private static final Map<String, String> OPTIONS = Map.of(
    "--roles", "EDM_ROLES",
    FLAG, "EDM_CLUSTER",
    "--cluster-members", "EDM_CLUSTER_MEMBERS",
    "--cluster-host", "EDM_CLUSTER_HOST",
    "--cluster-port", "EDM_CLUSTER_PORT",
    "--cluster-name", "EDM_CLUSTER_NAME",
    "--conf", "EDM_CONF");

  private Main() {
  }

  public static void main(String[] args) {
    try {
      Launcher.start(environment(args));
    } catch (ConfigException e) {
      LOG.error("configuration error: {}", e.getMessage());
      System.exit(2);
    } catch (StartupException e) {
      LOG.error("cannot start: {}", e.getMessage());
      System.exit(1);
    } catch (Throwable e) {
      LOG.error("cannot start", e);
      System.exit(1);
    }
  }

  static Map<String, String> environment(String[] args) {
    Map<String, String> env = new HashMap<>(System.getenv());
    for (String arg : args) {
      int eq = arg.indexOf('=');
      String name = eq < 0 ? arg : arg.substring(0, eq);
      String variable = OPTIONS.get(name);
      if (variable == null) {
        throw new ConfigException("unknown option " + name + ", expected one of "
          + String.join(" ", OPTIONS.keySet()));
      }
      String value = eq < 0 ? "" : arg.substring(eq + 1).trim();
      if (value.isEmpty() && !name.equals(FLAG)) {
        throw new ConfigException("option " + name + " needs a value, as in " + name + "=...");
      }
      env.put(variable, value.isEmpty() ? "true" : value);
    }
    return env;
  }
}
