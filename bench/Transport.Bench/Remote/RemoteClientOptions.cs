using System.Globalization;
using Transport.Reliable.Congestion;

namespace Transport.Bench.Remote;

/// <summary>The <c>client</c> command's options (see <see cref="Usage"/>).</summary>
internal sealed class RemoteClientOptions
{
    public string Host { get; init; } = "";

    public int Port { get; init; } = PerfFraming.DefaultPort;

    public IReadOnlyList<RemoteProtocol> Protocols { get; init; } = [RemoteProtocol.Quic, RemoteProtocol.Tls, RemoteProtocol.Tcp];

    public IReadOnlyList<RemoteTest> Tests { get; init; } = [RemoteTest.Upload, RemoteTest.Download, RemoteTest.RequestResponse, RemoteTest.Handshakes];

    /// <summary>Bytes per stream for upload/download; null: run for <see cref="Time"/> instead.</summary>
    public long? Bytes { get; init; }

    /// <summary>Measured time per test and protocol (and the budget of size-based transfers is this plus 60 s).</summary>
    public TimeSpan Time { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Parallel streams (QUIC: streams of one connection; TCP/TLS: connections) for upload/download; parallel workers for rr and handshakes.</summary>
    public int Streams { get; init; } = 1;

    public CongestionControlAlgorithm CongestionControl { get; init; } = CongestionControlAlgorithm.Cubic;

    public bool CongestionControlGiven { get; init; }

    /// <summary>The server certificate's SHA-256 (as printed by the server), or null with <see cref="Insecure"/>.</summary>
    public byte[]? Pin { get; init; }

    /// <summary>--insecure: accept any server certificate (says so in the output and results.json).</summary>
    public bool Insecure { get; init; }

    public int RequestSize { get; init; } = 64;

    public int MaxDatagramSize { get; init; } = 1452;

    public string? ResultsDirectory { get; init; }

    /// <summary>Unmeasured warm-up before every measurement (a tenth of --time, at most 1 s).</summary>
    public TimeSpan WarmupTime => TimeSpan.FromTicks(Math.Min(Time.Ticks / 10, TimeSpan.TicksPerSecond));

    public bool Help { get; init; }

    public const string Usage = """
        usage: dotnet run -c Release --project bench/Transport.Bench -- client --target HOST[:PORT] (--pin FP | --insecure) [options]

        Measures against a `server` (this tool's, or for QUIC any server of the perf protocol, e.g. msquic's
        secnetperf) and compares the protocols side by side in one run: Markdown tables on stdout (ratios to kernel TCP
        in the tables, and Transport QUIC ÷ TCP+TLS 1.3 and ÷ kernel TCP in a last table), results.json and tables.md in
        results/remote/<UTC timestamp>/ (--results DIR to choose).

          --target HOST[:PORT]  the server (IPv6 literals as [addr]:port); --port N also sets the port (default 4433)
          --pin FP              the server certificate's SHA-256 fingerprint as the server printed it (hex, colons
                                optional): the client accepts exactly that certificate (QUIC and TLS)
          --insecure            accept ANY server certificate (no authentication at all; for servers that print no
                                fingerprint, e.g. secnetperf). One of --pin or --insecure is required.
          --protocol LIST       quic, tcp, tls or all (default), comma-separated
          --test LIST           upload, download, rr, handshakes or all (default), comma-separated
          --bytes N             bytes per stream for upload/download (suffix k/m/g = 1000s, ki/mi/gi = 1024s);
                                without it they run for --time
          --time S              seconds per test and protocol (default 5)
          --streams N           parallel streams: QUIC streams of one connection, or N TCP/TLS connections, for
                                upload/download; parallel request or handshake loops for rr/handshakes (default 1)
          --rr-size N           request and response size of rr (default 64)
          --cc ALGO             newreno, cubic (default) or bbr; also TCP_CONGESTION on TCP sockets when given
          --datagram-size N     QUIC UDP payload size (default 1452)
          --results DIR         results folder
          --help                this text

        Figures: Gbit/s of stream payload (headers not counted) and client process CPU seconds per GB moved;
        rr p50/p99/p99.9 µs and requests/s (QUIC: a new stream per request, as in the perf protocol; TCP/TLS: a
        request form on one connection, see Remote/README.md); handshakes/s (new connection, 1-byte request, close).
        """;

    public static RemoteClientOptions? Parse(string[] args, out string? error)
    {
        error = null;
        string? target = null;
        int? port = null;
        int streams = 1, requestSize = 64, datagramSize = 1452;
        long? bytes = null;
        double seconds = 5;
        bool insecure = false, help = false, ccGiven = false;
        byte[]? pin = null;
        string? results = null;
        CongestionControlAlgorithm cc = CongestionControlAlgorithm.Cubic;
        var protocols = new List<RemoteProtocol> { RemoteProtocol.Quic, RemoteProtocol.Tls, RemoteProtocol.Tcp };
        var tests = new List<RemoteTest> { RemoteTest.Upload, RemoteTest.Download, RemoteTest.RequestResponse, RemoteTest.Handshakes };
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            bool Take()
            {
                if (value is null) return false;
                i++;
                return true;
            }
            switch (arg)
            {
                case "--help": case "-h": help = true; break;
                case "--insecure": insecure = true; break;
                case "--target":
                    if (!Take()) { error = "--target needs HOST[:PORT]"; return null; }
                    target = value;
                    break;
                case "--port":
                    if (!Take() || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p is < 1 or > 65535) { error = "--port needs 1..65535"; return null; }
                    port = p;
                    break;
                case "--pin":
                    if (!Take() || (pin = RemoteNames.ParseFingerprint(value!)) is null) { error = "--pin needs a SHA-256 fingerprint: 64 hex digits, colons optional"; return null; }
                    break;
                case "--protocol":
                    if (!Take()) { error = "--protocol needs quic, tcp, tls or all"; return null; }
                    protocols.Clear();
                    foreach (string part in value!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        switch (part.ToLowerInvariant())
                        {
                            case "all": protocols.AddRange([RemoteProtocol.Quic, RemoteProtocol.Tls, RemoteProtocol.Tcp]); break;
                            case "quic": protocols.Add(RemoteProtocol.Quic); break;
                            case "tcp": protocols.Add(RemoteProtocol.Tcp); break;
                            case "tls": protocols.Add(RemoteProtocol.Tls); break;
                            default: error = $"unknown protocol '{part}' (quic, tcp, tls, all)"; return null;
                        }
                    }
                    break;
                case "--test":
                    if (!Take()) { error = "--test needs upload, download, rr, handshakes or all"; return null; }
                    tests.Clear();
                    foreach (string part in value!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        switch (part.ToLowerInvariant())
                        {
                            case "all": tests.AddRange([RemoteTest.Upload, RemoteTest.Download, RemoteTest.RequestResponse, RemoteTest.Handshakes]); break;
                            case "upload": tests.Add(RemoteTest.Upload); break;
                            case "download": tests.Add(RemoteTest.Download); break;
                            case "rr": tests.Add(RemoteTest.RequestResponse); break;
                            case "handshakes": tests.Add(RemoteTest.Handshakes); break;
                            default: error = $"unknown test '{part}' (upload, download, rr, handshakes, all)"; return null;
                        }
                    }
                    break;
                case "--bytes":
                    if (!Take() || !RemoteNames.TryParseBytes(value!, out long b) || b < 0) { error = "--bytes needs a byte count, e.g. 100m"; return null; }
                    bytes = b;
                    break;
                case "--time":
                    if (!Take() || !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) || !(seconds > 0) || seconds > 3600) { error = "--time needs seconds (0 < S <= 3600)"; return null; }
                    break;
                case "--streams":
                    if (!Take() || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out streams) || streams is < 1 or > 1000) { error = "--streams needs 1..1000"; return null; }
                    break;
                case "--rr-size":
                    if (!Take() || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out requestSize) || requestSize is < 1 or > PerfFraming.MaxRequestResponseBytes) { error = $"--rr-size needs 1..{PerfFraming.MaxRequestResponseBytes}"; return null; }
                    break;
                case "--cc":
                    if (!Take() || !RemoteNames.TryParseCongestionControl(value!, out cc)) { error = "--cc needs newreno, cubic or bbr"; return null; }
                    ccGiven = true;
                    break;
                case "--datagram-size":
                    if (!Take() || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out datagramSize) || datagramSize is < 1200 or > 65527) { error = "--datagram-size needs 1200..65527"; return null; }
                    break;
                case "--results":
                    if (!Take()) { error = "--results needs a folder"; return null; }
                    results = value;
                    break;
                default:
                    error = $"unknown client option '{arg}'";
                    return null;
            }
        }
        if (help) return new RemoteClientOptions { Help = true };
        if (target is null) { error = "--target HOST[:PORT] is required"; return null; }
        if (!TrySplitTarget(target, out string host, out int? targetPort)) { error = $"--target '{target}' is not HOST[:PORT] (IPv6: [addr]:port)"; return null; }
        if (pin is null && !insecure) { error = "give --pin <the SHA-256 fingerprint the server printed> or, knowingly, --insecure (accepts any certificate)"; return null; }
        if (pin is not null && insecure) { error = "--pin and --insecure exclude each other"; return null; }
        return new RemoteClientOptions
        {
            Host = host, Port = port ?? targetPort ?? PerfFraming.DefaultPort, Protocols = protocols.Distinct().ToList(), Tests = tests.Distinct().ToList(),
            Bytes = bytes, Time = TimeSpan.FromSeconds(seconds), Streams = streams, CongestionControl = cc, CongestionControlGiven = ccGiven,
            Pin = pin, Insecure = insecure, RequestSize = requestSize, MaxDatagramSize = datagramSize, ResultsDirectory = results,
        };
    }

    /// <summary>Splits "host", "host:port", "[v6]" or "[v6]:port"; a bare IPv6 literal (several colons) has no port.</summary>
    internal static bool TrySplitTarget(string target, out string host, out int? port)
    {
        host = target;
        port = null;
        if (target.StartsWith('['))
        {
            int close = target.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) return false;
            host = target[1..close];
            string rest = target[(close + 1)..];
            if (rest.Length == 0) return host.Length > 0;
            if (!rest.StartsWith(':') || !int.TryParse(rest[1..], NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p is < 1 or > 65535) return false;
            port = p;
            return host.Length > 0;
        }
        int colon = target.LastIndexOf(':');
        if (colon > 0 && target.IndexOf(':', StringComparison.Ordinal) == colon)
        {
            if (!int.TryParse(target[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p is < 1 or > 65535) return false;
            host = target[..colon];
            port = p;
        }
        return host.Length > 0;
    }
}
