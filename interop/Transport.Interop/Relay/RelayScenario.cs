using System.Globalization;

namespace Transport.Interop.Relay;

/// <summary>
/// A network scenario of the QUIC Interop Runner's simulator (quic-network-simulator <c>sim/scenarios</c>), reproduced by
/// <see cref="UdpRelay"/> in real time. See ../shared/interop/TESTCASES.md §3.1 and Relay/README.md.
/// </summary>
/// <remarks>
/// The link of each direction is an ns-3 point-to-point link: a drop-tail queue of <see cref="QueuePackets"/> datagrams
/// (the PfifoFast queue disc) plus the device's own one-packet queue, a serializer at <see cref="BandwidthBitsPerSecond"/>
/// (each datagram costs its UDP payload plus UDP, IP and the 2-byte PPP header), then <see cref="Delay"/> of propagation.
/// The error models (drop, corrupt, droplist, blackhole, NAT) act where the datagram arrives at the far end.
/// </remarks>
public sealed record RelayScenario
{
    /// <summary>The runner's default: <c>simple-p2p --delay=15ms --bandwidth=10Mbps --queue=25</c>.</summary>
    public static RelayScenario Default { get; } = new()
    {
        Name = "simple-p2p",
        Delay = TimeSpan.FromMilliseconds(15),
        BandwidthBitsPerSecond = 10_000_000,
        QueuePackets = 25,
        Mtu = 1500,
    };

    /// <summary>A perfect link: no delay, no bandwidth limit, no impairment (for tests).</summary>
    public static RelayScenario Perfect { get; } = new() { Name = "perfect" };

    /// <summary>The scenario's name as the runner spells it (for logs only).</summary>
    public string Name { get; init; } = "custom";

    /// <summary>One-way propagation delay, in each direction.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Link rate in bits per second, each direction; 0 = unlimited (no serialization, no queue).</summary>
    public long BandwidthBitsPerSecond { get; init; }

    /// <summary>Packets in the bottleneck queue disc (drop-tail, <c>--queue</c>); 0 = unlimited. Only with a bandwidth.</summary>
    public int QueuePackets { get; init; }

    /// <summary>
    /// Packets the device queue holds behind the queue disc (ns-3's point-to-point helper as the simulator configures
    /// it: <c>DropTailQueue MaxSize=1p</c>). A datagram is dropped when <see cref="QueuePackets"/> + this many datagrams
    /// already wait for the serializer (the one being serialized not counted).
    /// </summary>
    public int DeviceQueuePackets { get; init; } = 1;

    /// <summary>
    /// IP MTU of the runner's links (Ethernet, 1500): a datagram whose IP packet would be larger (UDP payload above 1472
    /// bytes over IPv4, 1452 over IPv6) is dropped before the link and not captured, as the endpoint's own kernel refuses
    /// to send it in the runner's containers (loopback's MTU is 65536 and would let large PMTU probes through).
    /// 0 = no limit. <see cref="Parse"/> and <see cref="Default"/> use 1500.
    /// </summary>
    public int Mtu { get; init; }

    /// <summary>Impairments of the server-to-client direction.</summary>
    public RelayDirectionConditions ToClient { get; init; } = RelayDirectionConditions.None;

    /// <summary>Impairments of the client-to-server direction.</summary>
    public RelayDirectionConditions ToServer { get; init; } = RelayDirectionConditions.None;

    /// <summary>blackhole <c>--on</c>: traffic flows this long from relay start, then the blackhole begins; null = no blackhole.</summary>
    public TimeSpan? BlackholeOn { get; init; }

    /// <summary>blackhole <c>--off</c>: how long each blackhole lasts.</summary>
    public TimeSpan BlackholeOff { get; init; }

    /// <summary>blackhole <c>--repeat</c>: number of blackholes (default 1), one per <see cref="BlackholeOn"/> + <see cref="BlackholeOff"/> period.</summary>
    public int BlackholeRepeat { get; init; } = 1;

    /// <summary>rebind <c>--first-rebind</c>: time from relay start of the first NAT rebinding; null = no NAT rebinding.</summary>
    public TimeSpan? FirstRebind { get; init; }

    /// <summary>rebind <c>--rebind-freq</c>: period of the later rebindings; zero = only one rebinding.</summary>
    public TimeSpan RebindFrequency { get; init; }

    /// <summary>rebind <c>--rebind-addr</c>: every rebinding also moves the client to another 127.0.0.x address (IPv4 only).</summary>
    public bool RebindAddress { get; init; }

    /// <summary>The number of NAT rebindings that have happened <paramref name="sinceStart"/> after relay start.</summary>
    public int RebindEpochAt(TimeSpan sinceStart)
    {
        if (FirstRebind is not { } first || sinceStart < first) return 0;
        if (RebindFrequency <= TimeSpan.Zero) return 1;
        long n = (sinceStart - first).Ticks / RebindFrequency.Ticks;
        return (int)Math.Min(int.MaxValue - 1, n + 1);
    }

    /// <summary>Whether the blackhole is on <paramref name="sinceStart"/> after relay start (windows [on + k·(on+off), (k+1)·(on+off)), k &lt; repeat).</summary>
    public bool IsBlackholeAt(TimeSpan sinceStart)
    {
        if (BlackholeOn is not { } on || BlackholeOff <= TimeSpan.Zero) return false;
        TimeSpan period = on + BlackholeOff;
        if (period <= TimeSpan.Zero) return false;
        long k = sinceStart.Ticks / period.Ticks;
        if (k >= BlackholeRepeat) return false;
        return sinceStart.Ticks - k * period.Ticks >= on.Ticks;
    }

    /// <summary>Checks every value; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (Delay < TimeSpan.Zero) throw new ArgumentException($"Delay must not be negative (was {Delay}).");
        if (BandwidthBitsPerSecond < 0) throw new ArgumentException($"BandwidthBitsPerSecond must not be negative (was {BandwidthBitsPerSecond}).");
        if (QueuePackets < 0) throw new ArgumentException($"QueuePackets must not be negative (was {QueuePackets}).");
        if (Mtu < 0) throw new ArgumentException($"Mtu must not be negative (was {Mtu}).");
        if (DeviceQueuePackets < 0) throw new ArgumentException($"DeviceQueuePackets must not be negative (was {DeviceQueuePackets}).");
        if (ToClient is null || ToServer is null) throw new ArgumentException("ToClient and ToServer must not be null.");
        ToClient.Validate(nameof(ToClient));
        ToServer.Validate(nameof(ToServer));
        if (BlackholeOn is { } on && (on < TimeSpan.Zero || BlackholeOff < TimeSpan.Zero || BlackholeRepeat < 1))
            throw new ArgumentException($"Blackhole needs on >= 0, off >= 0 and repeat >= 1 (was on={on}, off={BlackholeOff}, repeat={BlackholeRepeat}).");
        if (FirstRebind is { } first && (first <= TimeSpan.Zero || RebindFrequency < TimeSpan.Zero))
            throw new ArgumentException($"Rebinding needs first-rebind > 0 and rebind-freq >= 0 (was {first}, {RebindFrequency}).");
        if (RebindAddress && FirstRebind is null) throw new ArgumentException("RebindAddress needs FirstRebind.");
    }

    /// <summary>
    /// Parses the runner's <c>SCENARIO</c> string, e.g. <c>"drop-rate --delay=15ms --bandwidth=10Mbps --queue=25
    /// --rate_to_server=30 --rate_to_client=30 --burst_to_server=3 --burst_to_client=3"</c>. Known scenarios: simple-p2p,
    /// drop-rate, corrupt-rate, droplist, blackhole, rebind. Throws <see cref="ArgumentException"/> for unknown scenarios
    /// or options and for missing required ones (delay, bandwidth, queue).
    /// </summary>
    public static RelayScenario Parse(string scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        string[] parts = scenario.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new ArgumentException("The scenario string is empty.", nameof(scenario));
        string name = parts[0];
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 1; i < parts.Length; i++)
        {
            string p = parts[i];
            if (!p.StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Expected --option[=value], got '{p}'.", nameof(scenario));
            int eq = p.IndexOf('=');
            if (eq < 0) options[p[2..]] = "true";
            else options[p[2..eq]] = p[(eq + 1)..];
        }

        string[] allowed = name switch
        {
            "simple-p2p" => [],
            "drop-rate" or "corrupt-rate" => ["rate_to_client", "rate_to_server", "burst_to_client", "burst_to_server"],
            "droplist" => ["drops_to_client", "drops_to_server"],
            "blackhole" => ["on", "off", "repeat", "direction"],
            "rebind" => ["first-rebind", "rebind-freq", "rebind-addr"],
            _ => throw new ArgumentException($"Unknown scenario '{name}' (known: simple-p2p, drop-rate, corrupt-rate, droplist, blackhole, rebind).", nameof(scenario)),
        };
        foreach (string key in options.Keys)
        {
            if (key is not ("delay" or "bandwidth" or "queue") && Array.IndexOf(allowed, key) < 0)
                throw new ArgumentException($"Scenario '{name}' has no option --{key}.", nameof(scenario));
        }

        var result = new RelayScenario
        {
            Name = name,
            Delay = ParseTime(Required(options, "delay", name)),
            BandwidthBitsPerSecond = ParseRate(Required(options, "bandwidth", name)),
            QueuePackets = ParseInt(Required(options, "queue", name), "queue"),
            Mtu = 1500,
        };
        var toClient = RelayDirectionConditions.None;
        var toServer = RelayDirectionConditions.None;
        switch (name)
        {
            case "drop-rate":
                toClient = toClient with
                {
                    DropRatePercent = ParseInt(Required(options, "rate_to_client", name), "rate_to_client"),
                    DropBurst = options.TryGetValue("burst_to_client", out var bc) ? ParseInt(bc, "burst_to_client") : int.MaxValue,
                };
                toServer = toServer with
                {
                    DropRatePercent = ParseInt(Required(options, "rate_to_server", name), "rate_to_server"),
                    DropBurst = options.TryGetValue("burst_to_server", out var bs) ? ParseInt(bs, "burst_to_server") : int.MaxValue,
                };
                break;
            case "corrupt-rate":
                toClient = toClient with
                {
                    CorruptRatePercent = ParseInt(Required(options, "rate_to_client", name), "rate_to_client"),
                    CorruptBurst = options.TryGetValue("burst_to_client", out var cc) ? ParseInt(cc, "burst_to_client") : int.MaxValue,
                };
                toServer = toServer with
                {
                    CorruptRatePercent = ParseInt(Required(options, "rate_to_server", name), "rate_to_server"),
                    CorruptBurst = options.TryGetValue("burst_to_server", out var cs) ? ParseInt(cs, "burst_to_server") : int.MaxValue,
                };
                break;
            case "droplist":
                toClient = toClient with { DropList = ParseList(options.GetValueOrDefault("drops_to_client", ""), "drops_to_client") };
                toServer = toServer with { DropList = ParseList(options.GetValueOrDefault("drops_to_server", ""), "drops_to_server") };
                break;
            case "blackhole":
                string direction = options.GetValueOrDefault("direction", "both");
                if (direction is not ("both" or "toclient" or "toserver"))
                    throw new ArgumentException($"blackhole --direction must be both, toclient or toserver (was '{direction}').", nameof(scenario));
                toClient = toClient with { Blackholed = direction != "toserver" };
                toServer = toServer with { Blackholed = direction != "toclient" };
                result = result with
                {
                    BlackholeOn = ParseTime(Required(options, "on", name)),
                    BlackholeOff = ParseTime(Required(options, "off", name)),
                    BlackholeRepeat = options.TryGetValue("repeat", out var r) ? ParseInt(r, "repeat") : 1,
                };
                break;
            case "rebind":
                result = result with
                {
                    FirstRebind = ParseTime(options.GetValueOrDefault("first-rebind", "0s")) is { } f && f > TimeSpan.Zero ? f : null,
                    RebindFrequency = ParseTime(options.GetValueOrDefault("rebind-freq", "0s")),
                    RebindAddress = options.TryGetValue("rebind-addr", out var ra) && ra is "true" or "1",
                };
                break;
        }
        result = result with { ToClient = toClient, ToServer = toServer };
        result.Validate();
        return result;
    }

    private static string Required(Dictionary<string, string> options, string key, string scenario) =>
        options.TryGetValue(key, out var v) ? v : throw new ArgumentException($"Scenario '{scenario}' needs --{key}.");

    private static int ParseInt(string value, string what) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0
            ? v
            : throw new ArgumentException($"--{what} must be a non-negative integer (was '{value}').");

    private static HashSet<int> ParseList(string value, string what)
    {
        var set = new HashSet<int>();
        foreach (string item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int v = ParseInt(item, what);
            if (v < 1) throw new ArgumentException($"--{what} indices are 1-based (found {v}).");
            set.Add(v);
        }
        return set;
    }

    /// <summary>Parses an ns-3 time string: a number with unit s, ms, us or ns (no unit = seconds), e.g. <c>15ms</c>, <c>1.5s</c>.</summary>
    public static TimeSpan ParseTime(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string v = value.Trim();
        (string unit, double scale) = v.EndsWith("ms", StringComparison.Ordinal) ? ("ms", 1e-3)
            : v.EndsWith("us", StringComparison.Ordinal) ? ("us", 1e-6)
            : v.EndsWith("ns", StringComparison.Ordinal) ? ("ns", 1e-9)
            : v.EndsWith('s') ? ("s", 1.0)
            : ("", 1.0);
        string number = v[..^unit.Length];
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || x < 0 || double.IsInfinity(x))
            throw new ArgumentException($"'{value}' is not a time (expected e.g. 15ms, 1s, 500us).");
        return TimeSpan.FromTicks((long)Math.Round(x * scale * TimeSpan.TicksPerSecond));
    }

    /// <summary>Parses an ns-3 data rate: a number with unit bps, kbps, Mbps or Gbps (decimal multiples), e.g. <c>10Mbps</c>.</summary>
    public static long ParseRate(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string v = value.Trim();
        (string unit, double scale) = v.EndsWith("Gbps", StringComparison.OrdinalIgnoreCase) ? ("Gbps", 1e9)
            : v.EndsWith("Mbps", StringComparison.OrdinalIgnoreCase) ? ("Mbps", 1e6)
            : v.EndsWith("kbps", StringComparison.OrdinalIgnoreCase) ? ("kbps", 1e3)
            : v.EndsWith("bps", StringComparison.OrdinalIgnoreCase) ? ("bps", 1.0)
            : ("", 1.0);
        string number = v[..^unit.Length];
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || x < 0 || double.IsInfinity(x))
            throw new ArgumentException($"'{value}' is not a data rate (expected e.g. 10Mbps).");
        return (long)Math.Round(x * scale);
    }
}
