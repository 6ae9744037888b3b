using System.Globalization;
using System.Net;

namespace Transport.Interop.Relay;

/// <summary>
/// Command-line front end of <see cref="UdpRelay"/>, for running foreign peers through a scenario by hand:
/// <c>--listen 127.0.0.1:4433 --server 127.0.0.1:4434 --scenario "simple-p2p --delay=15ms --bandwidth=10Mbps --queue=25"
/// [--seed N] [--pcap-left FILE] [--pcap-right FILE] [--lifetime SECONDS] [--realtime]</c>. Runs until the lifetime ends or the
/// cancellation token fires, then prints the statistics.
/// </summary>
public static class RelayCommand
{
    /// <summary>Parses <paramref name="args"/> into relay options; throws <see cref="ArgumentException"/> saying what is wrong.</summary>
    public static UdpRelayOptions ParseArguments(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new UdpRelayOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string key = args[i];
            if (key == "--realtime")
            {
                options.RealTimePriority = true;
                continue;
            }
            if (i + 1 >= args.Count) throw new ArgumentException($"{key} needs a value.");
            string value = args[++i];
            switch (key)
            {
                case "--listen": options.ListenEndPoint = ParseEndPoint(value, key); break;
                case "--server": options.ServerEndPoint = ParseEndPoint(value, key); break;
                case "--scenario": options.Scenario = RelayScenario.Parse(value); break;
                case "--seed":
                    options.Seed = int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed) ? seed
                        : throw new ArgumentException($"--seed must be an integer (was '{value}').");
                    break;
                case "--pcap-left": options.ClientPcapPath = value; break;
                case "--pcap-right": options.ServerPcapPath = value; break;
                case "--lifetime":
                    options.Lifetime = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0
                        ? TimeSpan.FromSeconds(s) : throw new ArgumentException($"--lifetime must be a positive number of seconds (was '{value}').");
                    break;
                default: throw new ArgumentException($"Unknown option {key} (known: --listen --server --scenario --seed --pcap-left --pcap-right --lifetime --realtime).");
            }
        }
        if (options.ServerEndPoint is null) throw new ArgumentException("--server is required.");
        return options;
    }

    /// <summary>Runs a relay with <paramref name="args"/>; returns 0, or 2 for bad arguments (message on <paramref name="log"/>).</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        UdpRelayOptions options;
        try
        {
            options = ParseArguments(args);
        }
        catch (ArgumentException e)
        {
            log.WriteLine($"relay: {e.Message}");
            return 2;
        }
        options.Log = log;
        using var relay = new UdpRelay(options);
        log.WriteLine($"relay: {relay.ListenEndPoint} -> {relay.ServerEndPoint}, scenario {relay.Scenario.Name}, seed {options.Seed}" +
                      (options.RealTimePriority ? ", real-time priority requested" : ""));
        try
        {
            relay.Stopped.Wait(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        relay.Dispose();
        log.WriteLine(relay.Statistics.ToString());
        return 0;
    }

    private static IPEndPoint ParseEndPoint(string value, string key) =>
        IPEndPoint.TryParse(value, out var endPoint) && endPoint.Port != 0 || key == "--listen" && IPEndPoint.TryParse(value, out endPoint)
            ? endPoint!
            : throw new ArgumentException($"{key} must be an address:port such as 127.0.0.1:4433 or [::1]:4433 (was '{value}').");
}
