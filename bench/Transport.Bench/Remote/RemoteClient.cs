using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Transport.Bench.Tour;

namespace Transport.Bench.Remote;

/// <summary>
/// The <c>client</c> mode: runs each selected test over each selected protocol against one server, one after the
/// other, and fills one <see cref="TourTable"/> per test (rows: protocols; ratios to kernel TCP as in the tour) plus
/// a table of Transport QUIC's ratios to TCP+TLS 1.3 and to kernel TCP.
/// </summary>
internal static class RemoteClient
{
    public const string Section = "remote";
    public const string Reference = RemoteNames.Tcp;

    public static readonly TourMetric Gbps = new("throughput", "Gbit/s", true, 2);
    public static readonly TourMetric CpuPerGb = new("client CPU", "s/GB", false, 2);
    public static readonly TourMetric P50Us = new("p50", "µs", false, 0);
    public static readonly TourMetric P99Us = new("p99", "µs", false, 0);
    public static readonly TourMetric P999Us = new("p99.9", "µs", false, 0);
    public static readonly TourMetric RequestRate = new("rate", "req/s", true, 0);
    public static readonly TourMetric CpuPerRequest = new("client CPU", "µs/req", false, 1);
    public static readonly TourMetric HandshakeRate = new("rate", "handshakes/s", true, 0);
    public static readonly TourMetric P50Ms = new("p50", "ms", false, 2);
    public static readonly TourMetric P99Ms = new("p99", "ms", false, 2);
    public static readonly TourMetric CpuPerHandshake = new("client CPU", "ms/handshake", false, 2);

    /// <summary>Resolves the target (IPv4 preferred, as most paths between two hosts have it).</summary>
    public static async Task<IPEndPoint> ResolveAsync(string host, int port, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out IPAddress? literal)) return new IPEndPoint(literal, port);
        IPAddress[] addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        IPAddress chosen = Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses[0];
        return new IPEndPoint(chosen, port);
    }

    public static IPerfClientTransport CreateTransport(RemoteProtocol protocol, RemoteClientOptions options, IPEndPoint server, Action<string> log) => protocol switch
    {
        RemoteProtocol.Quic => new QuicPerfTransport(server, options.Host, options.Pin, options.MaxDatagramSize, options.CongestionControl),
        RemoteProtocol.Tls => new TcpPerfTransport(server, options.Host, tls: true, options.Pin, options.CongestionControlGiven ? options.CongestionControl : null, log),
        _ => new TcpPerfTransport(server, options.Host, tls: false, null, options.CongestionControlGiven ? options.CongestionControl : null, log),
    };

    /// <summary>Runs every selected test over every selected protocol; a failure fills that row's error, never throws.</summary>
    public static async Task<List<TourTable>> MeasureAsync(RemoteClientOptions options, IPEndPoint server, ProgressLine? progress, Action<string> log, CancellationToken cancellationToken)
    {
        var tables = new List<TourTable>();
        string amount = options.Bytes is long b ? $"{RemoteFormat.Bytes(b)} per stream" : $"{options.Time.TotalSeconds:0.##} s";
        string streams = options.Streams == 1 ? "1 stream" : $"{options.Streams} parallel streams (QUIC: streams of one connection; TCP/TLS: connections)";
        string workers = options.Streams == 1 ? "one loop" : $"{options.Streams} parallel loops, each on its own connection";
        foreach (RemoteTest test in options.Tests)
        {
            TourTable table = test switch
            {
                RemoteTest.Upload => new TourTable(Section, "remote-upload", "Upload (client → server)",
                    $"Stream payload from the client to {server}, {amount}, {streams}, after an unmeasured {options.WarmupTime.TotalSeconds:0.##} s transfer; timed from the first byte to the server's FIN (sent once it drained the upload). CPU: this client process only.",
                    [Gbps, CpuPerGb]),
                RemoteTest.Download => new TourTable(Section, "remote-download", "Download (server → client)",
                    $"Stream payload from {server} to the client, {amount}, {streams}, after an unmeasured {options.WarmupTime.TotalSeconds:0.##} s transfer; {(options.Bytes is null ? "an unlimited response the client stops reading after the time (STOP_SENDING / TCP reset)" : "exactly that many bytes and the server's FIN")}. CPU: this client process only.",
                    [Gbps, CpuPerGb]),
                RemoteTest.RequestResponse => new TourTable(Section, "remote-rr", $"Request/response, {options.RequestSize} B each way",
                    $"{options.RequestSize}-byte requests answered with {options.RequestSize} bytes, one outstanding per loop, {workers}, {options.Time.TotalSeconds:0.##} s after a {options.WarmupTime.TotalSeconds:0.##} s warm-up. QUIC: a new stream per request (perf protocol); TCP/TLS: the request form on one connection.",
                    [P50Us, P99Us, P999Us, RequestRate, CpuPerRequest]),
                _ => new TourTable(Section, "remote-handshakes", "Handshakes",
                    $"New connection (full handshake, no resumption), a request for 1 byte, its answer and FIN, close; {workers}, {options.Time.TotalSeconds:0.##} s after a {options.WarmupTime.TotalSeconds:0.##} s warm-up; latency from connect to the answer.",
                    [HandshakeRate, P50Ms, P99Ms, CpuPerHandshake]),
            };
            foreach (RemoteProtocol protocol in options.Protocols)
            {
                string name = RemoteNames.Of(protocol);
                TourRow row = table.Row(name);
                progress?.Report($"{RemoteNames.Of(test)}: {name}");
                TimeSpan budget = options.WarmupTime + options.Time + TimeSpan.FromSeconds(options.Bytes is null ? 30 : 120);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(budget);
                await using IPerfClientTransport transport = CreateTransport(protocol, options, server, log);
                try
                {
                    await RunOneAsync(test, transport, options, row, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    row.Error = $"did not finish within {budget.TotalSeconds:0} s";
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    row.Error = Describe(e);
                }
            }
            tables.Add(table);
        }
        TourTable? ratios = RatioTable(tables);
        if (ratios is not null) tables.Add(ratios);
        return tables;
    }

    private static string Describe(Exception e)
    {
        if (e is AggregateException { InnerExceptions.Count: > 0 } aggregate) e = aggregate.InnerExceptions[0];
        return $"{e.GetType().Name}: {e.Message}".ReplaceLineEndings(" ");
    }

    private static async Task RunOneAsync(RemoteTest test, IPerfClientTransport transport, RemoteClientOptions options, TourRow row, CancellationToken cancellationToken)
    {
        switch (test)
        {
            case RemoteTest.Upload:
            case RemoteTest.Download:
            {
                // An unmeasured timed transfer first (JIT, first connection, window growth), like iperf3's --omit.
                if (test == RemoteTest.Upload) await RemoteMeasurements.UploadAsync(transport, options.Streams, null, options.WarmupTime, cancellationToken).ConfigureAwait(false);
                else await RemoteMeasurements.DownloadAsync(transport, options.Streams, null, options.WarmupTime, cancellationToken).ConfigureAwait(false);
                RemoteMeasurements.Throughput result = test == RemoteTest.Upload
                    ? await RemoteMeasurements.UploadAsync(transport, options.Streams, options.Bytes, options.Time, cancellationToken).ConfigureAwait(false)
                    : await RemoteMeasurements.DownloadAsync(transport, options.Streams, options.Bytes, options.Time, cancellationToken).ConfigureAwait(false);
                row.Values[Gbps.Name] = result.GigabitsPerSecond;
                row.Values[CpuPerGb.Name] = result.CpuSecondsPerGigabyte;
                row.Note = $"{RemoteFormat.Bytes(result.Bytes)} in {result.Elapsed.TotalSeconds:0.00} s";
                break;
            }
            case RemoteTest.RequestResponse:
            {
                RemoteMeasurements.Loop result = await RemoteMeasurements.RequestResponseAsync(transport, options.Streams, options.RequestSize, options.WarmupTime, options.Time, cancellationToken).ConfigureAwait(false);
                row.Values[P50Us.Name] = result.Latencies.PercentileMicroseconds(0.50);
                row.Values[P99Us.Name] = result.Latencies.PercentileMicroseconds(0.99);
                row.Values[P999Us.Name] = result.Latencies.PercentileMicroseconds(0.999);
                row.Values[RequestRate.Name] = result.PerSecond;
                row.Values[CpuPerRequest.Name] = result.CpuMicrosecondsEach;
                row.Note = $"{result.Count:N0} requests in {result.Elapsed.TotalSeconds:0.00} s";
                break;
            }
            default:
            {
                RemoteMeasurements.Loop result = await RemoteMeasurements.HandshakesAsync(transport, options.Streams, options.WarmupTime, options.Time, cancellationToken).ConfigureAwait(false);
                row.Values[HandshakeRate.Name] = result.PerSecond;
                row.Values[P50Ms.Name] = result.Latencies.PercentileMicroseconds(0.50) / 1000;
                row.Values[P99Ms.Name] = result.Latencies.PercentileMicroseconds(0.99) / 1000;
                row.Values[CpuPerHandshake.Name] = result.CpuMicrosecondsEach / 1000;
                row.Note = $"{result.Count:N0} handshakes in {result.Elapsed.TotalSeconds:0.00} s";
                break;
            }
        }
    }

    /// <summary>Transport QUIC ÷ TCP+TLS 1.3 and ÷ kernel TCP for every figure both have (null without a QUIC row).</summary>
    internal static TourTable? RatioTable(IReadOnlyList<TourTable> tables)
    {
        var metrics = new List<TourMetric>();
        var overTls = new Dictionary<string, double>();
        var overTcp = new Dictionary<string, double>();
        foreach (TourTable table in tables)
        {
            TourRow? quic = table.Rows.Find(r => r.Contender == RemoteNames.Quic);
            if (quic is null) continue;
            foreach (TourMetric metric in table.Metrics)
            {
                var ratioMetric = new TourMetric($"{table.Id["remote-".Length..]} {metric.Name}", $"× ({metric.Unit})", metric.HigherIsBetter, 2);
                bool any = false;
                foreach ((string other, Dictionary<string, double> into) in new[] { (RemoteNames.Tls, overTls), (RemoteNames.Tcp, overTcp) })
                {
                    TourRow? row = table.Rows.Find(r => r.Contender == other);
                    if (row is null || !quic.Values.TryGetValue(metric.Name, out double ours) || !row.Values.TryGetValue(metric.Name, out double theirs)) continue;
                    if (!double.IsFinite(ours) || !double.IsFinite(theirs) || theirs <= 0) continue;
                    into[ratioMetric.Name] = ours / theirs;
                    any = true;
                }
                if (any) metrics.Add(ratioMetric);
            }
        }
        if (metrics.Count == 0) return null;
        var ratios = new TourTable(Section, "remote-ratios", "Transport QUIC ÷ TCP+TLS 1.3 and ÷ kernel TCP",
            "Each figure of Transport QUIC divided by the same figure of the other protocol in this run (above 1 is better where higher is better, below 1 where lower is).", metrics);
        TourRow tlsRow = ratios.Row($"{RemoteNames.Quic} ÷ {RemoteNames.Tls}");
        foreach (var (k, v) in overTls) tlsRow.Values[k] = v;
        TourRow tcpRow = ratios.Row($"{RemoteNames.Quic} ÷ {RemoteNames.Tcp}");
        foreach (var (k, v) in overTcp) tcpRow.Values[k] = v;
        return ratios;
    }

    /// <summary>The ratio table as Markdown, one line per figure (the tour's table writer puts contenders in rows, which would make this one very wide).</summary>
    internal static string RenderRatios(TourTable ratios)
    {
        var sb = new StringBuilder();
        sb.Append("### ").Append(ratios.Title).Append("\n\n").Append(ratios.Description).Append("\n\n");
        sb.Append("| figure |");
        foreach (TourRow row in ratios.Rows) sb.Append(' ').Append(row.Contender).Append(" |");
        sb.Append(" better |\n|---|");
        foreach (TourRow _ in ratios.Rows) sb.Append("---:|");
        sb.Append("---|\n");
        foreach (TourMetric metric in ratios.Metrics)
        {
            sb.Append("| ").Append(metric.Name).Append(' ').Append(metric.Unit[2..]).Append(" |");
            foreach (TourRow row in ratios.Rows)
            {
                sb.Append(' ').Append(row.Values.TryGetValue(metric.Name, out double v) ? "×" + MarkdownTableWriter.Format(v, 2) : "—").Append(" |");
            }
            sb.Append(' ').Append(metric.HigherIsBetter ? "higher" : "lower").Append(" |\n");
        }
        return sb.ToString();
    }

    /// <summary>results.json of a client run: the tour's tables and figures plus what was measured against what.</summary>
    internal static string RenderJson(MachineInfo machine, RemoteClientOptions options, IPEndPoint server, IReadOnlyList<TourTable> tables)
    {
        (JsonArray tableArray, JsonArray figures) = ResultsJsonWriter.TablesAndFigures(tables, Reference);
        var contenders = new JsonArray();
        foreach (RemoteProtocol p in options.Protocols) contenders.Add(new JsonObject { ["name"] = RemoteNames.Of(p), ["available"] = true, ["reason"] = null });
        var root = new JsonObject
        {
            ["tool"] = "Transport.Bench client",
            ["machine"] = new JsonObject
            {
                ["cores"] = machine.Cores,
                ["os"] = machine.Os,
                ["architecture"] = machine.Architecture,
                ["dotnet"] = machine.DotNet,
                ["date"] = machine.Date.ToString("O"),
                ["loadAverage"] = machine.LoadAverage,
                ["kernelTcpCongestionControl"] = RemoteSockets.KernelDefault(),
            },
            ["target"] = new JsonObject
            {
                ["host"] = options.Host,
                ["address"] = server.ToString(),
                ["certificate"] = options.Pin is not null ? "pinned SHA-256 " + RemoteNames.Fingerprint(options.Pin) : "NOT AUTHENTICATED (--insecure)",
            },
            ["options"] = new JsonObject
            {
                ["protocols"] = new JsonArray([.. options.Protocols.Select(p => (JsonNode?)JsonValue.Create(RemoteNames.Of(p)))]),
                ["tests"] = new JsonArray([.. options.Tests.Select(t => (JsonNode?)JsonValue.Create(RemoteNames.Of(t)))]),
                ["bytesPerStream"] = options.Bytes,
                ["seconds"] = options.Time.TotalSeconds,
                ["warmupSeconds"] = options.WarmupTime.TotalSeconds,
                ["streams"] = options.Streams,
                ["requestSize"] = options.RequestSize,
                ["congestionControl"] = options.CongestionControl.ToString(),
                ["tcpCongestionControl"] = options.CongestionControlGiven ? RemoteNames.KernelName(options.CongestionControl) : RemoteSockets.KernelDefault() + " (kernel default)",
                ["quicDatagramSize"] = options.MaxDatagramSize,
            },
            ["reference"] = Reference,
            ["contenders"] = contenders,
            ["tables"] = tableArray,
            ["figures"] = figures,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}
