using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Transport.Interop.Checks;

/// <summary>
/// One side's pcap (the relay's trace_node_left / trace_node_right) read through tshark, like the runner's
/// TraceAnalyzer: direction is decided by the server's address:port (the runner uses the containers' IPs), QUIC is
/// decoded on the server's port, the key log (when any) decrypts. Queries are cached. Large transfers are read with
/// narrow display filters (long headers only) or as plain fields, so that a 10 MB trace is not dissected to JSON whole.
/// </summary>
public sealed class PacketTrace
{
    /// <summary>Display filter that keeps datagrams carrying a long-header packet (or a Version Negotiation).</summary>
    public const string LongHeaderFilter = "quic.long.packet_type || quic.long.packet_type_v2 || quic.version==0";

    private readonly Dictionary<string, IReadOnlyList<TraceDatagram>> _cache = new(StringComparer.Ordinal);
    private readonly string _workDirectory;
    private int _queries;
    private string? _dissectPath;                                         // DissectPath()
    private List<(IPEndPoint Source, IPEndPoint Destination)?>? _realEndpoints; // set when _dissectPath is the one-path copy

    /// <summary>A trace of <paramref name="pcapPath"/> where the server is <paramref name="serverEndPoint"/>.</summary>
    public PacketTrace(string pcapPath, IPEndPoint serverEndPoint, string? keyLogPath, string workDirectory, TimeSpan? tsharkDeadline = null,
        IReadOnlyList<IPEndPoint>? moreServerEndPoints = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(pcapPath);
        ArgumentNullException.ThrowIfNull(serverEndPoint);
        ArgumentException.ThrowIfNullOrEmpty(workDirectory);
        PcapPath = pcapPath;
        ServerEndPoint = serverEndPoint;
        KeyLogPath = keyLogPath;
        _workDirectory = workDirectory;
        TsharkDeadline = tsharkDeadline ?? TimeSpan.FromSeconds(120);
        MoreServerEndPoints = moreServerEndPoints ?? [];
    }

    /// <summary>Further addresses of the server (a preferred address), also decoded as QUIC and counted as the server's.</summary>
    public IReadOnlyList<IPEndPoint> MoreServerEndPoints { get; }

    private IEnumerable<int> QuicPorts => MoreServerEndPoints.Select(e => e.Port).Prepend(ServerEndPoint.Port);

    private bool IsServer(IPEndPoint e)
    {
        if (SameEndPoint(e, ServerEndPoint)) return true;
        foreach (IPEndPoint m in MoreServerEndPoints) if (SameEndPoint(e, m)) return true;
        return false;
    }

    /// <summary>The pcap.</summary>
    public string PcapPath { get; }

    /// <summary>The server's address and port in this trace (the relay's listening address on the client side).</summary>
    public IPEndPoint ServerEndPoint { get; }

    /// <summary>The NSS key log used for decryption, or null.</summary>
    public string? KeyLogPath { get; }

    /// <summary>Deadline of each tshark run.</summary>
    public TimeSpan TsharkDeadline { get; }

    /// <summary>Who sent a datagram from <paramref name="source"/> to <paramref name="destination"/>.</summary>
    public TraceDirection DirectionOf(IPEndPoint source, IPEndPoint destination) =>
        IsServer(source) ? TraceDirection.FromServer
        : IsServer(destination) ? TraceDirection.FromClient
        : TraceDirection.Invalid;

    /// <summary>Datagrams matching <paramref name="displayFilter"/> (tshark syntax), dissected fully.</summary>
    public IReadOnlyList<TraceDatagram> Datagrams(string displayFilter)
    {
        if (_cache.TryGetValue(displayFilter, out IReadOnlyList<TraceDatagram>? cached)) return cached;
        string output = NextOutputPath("json");
        Tshark.Run(DissectPath(), KeyLogPath, QuicPorts, displayFilter, ["-T", "json", "--no-duplicate-keys"], output, TsharkDeadline);
        IReadOnlyList<TraceDatagram> result;
        using (FileStream fs = File.OpenRead(output)) result = ParseJson(fs, this);
        if (_realEndpoints is { } real)
        {
            // Dissected from the one-path copy: each datagram's real addresses come from the original.
            var fixedUp = new List<TraceDatagram>(result.Count);
            foreach (TraceDatagram d in result)
            {
                (IPEndPoint src, IPEndPoint dst) = d.Number >= 1 && d.Number <= real.Count && real[d.Number - 1] is { } r ? r : (d.Source, d.Destination);
                fixedUp.Add(new TraceDatagram(d.Number, d.TimeEpoch, src, dst, d.UdpLength, d.Ecn, DirectionOf(src, dst), d.Packets));
            }
            result = fixedUp;
        }
        _cache[displayFilter] = result;
        return result;
    }

    /// <summary>QUIC packets of <paramref name="kind"/> sent in <paramref name="direction"/> (null = both), long headers only.</summary>
    public List<QuicLayer> LongHeaderPackets(QuicPacketKind kind, TraceDirection? direction)
    {
        var list = new List<QuicLayer>();
        foreach (TraceDatagram d in Datagrams(LongHeaderFilter))
        {
            if (direction is { } dir && d.Direction != dir) continue;
            foreach (QuicLayer p in d.Packets)
                if (p.Kind == kind) list.Add(p);
        }
        return list;
    }

    /// <summary>
    /// Rows of plain fields (tshark -T fields, every occurrence, comma-aggregated) for datagrams matching
    /// <paramref name="displayFilter"/>; the first four columns are always source address, source port, destination
    /// address, destination port, followed by <paramref name="fields"/>.
    /// </summary>
    public List<string[]> Fields(string displayFilter, params string[] fields)
    {
        string output = NextOutputPath("tsv");
        var args = new List<string> { "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,",
            "-e", "ip.src", "-e", "ipv6.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "ipv6.dst", "-e", "udp.dstport" };
        foreach (string f in fields) { args.Add("-e"); args.Add(f); }
        // The frame number (to find a row's real addresses when the one-path copy is dissected): the caller's column, or
        // one more at the end (tshark prints a field given twice only once).
        int numberColumn = 6 + Array.IndexOf(fields, "frame.number");
        if (numberColumn < 6)
        {
            numberColumn = 6 + fields.Length;
            args.Add("-e");
            args.Add("frame.number");
        }
        Tshark.Run(DissectPath(), KeyLogPath, QuicPorts, displayFilter, args, output, TsharkDeadline);
        var rows = new List<string[]>();
        foreach (string line in File.ReadLines(output))
        {
            if (line.Length == 0) continue;
            string[] cols = line.Split('\t');
            if (cols.Length < 7 + fields.Length) Array.Resize(ref cols, 7 + fields.Length);
            string src = First(cols[0]) ?? First(cols[1]) ?? "";
            string dst = First(cols[3]) ?? First(cols[4]) ?? "";
            var row = new string[4 + fields.Length];
            row[0] = src;
            row[1] = First(cols[2]) ?? "";
            row[2] = dst;
            row[3] = First(cols[5]) ?? "";
            int number = ParseInt(First(cols[numberColumn]));
            if (_realEndpoints is { } real && number >= 1 && number <= real.Count && real[number - 1] is { } r)
            {
                // Dissected from the one-path copy: the real addresses come from the original.
                row[0] = r.Source.Address.ToString();
                row[1] = r.Source.Port.ToString(CultureInfo.InvariantCulture);
                row[2] = r.Destination.Address.ToString();
                row[3] = r.Destination.Port.ToString(CultureInfo.InvariantCulture);
            }
            for (int i = 0; i < fields.Length; i++) row[4 + i] = cols[6 + i] ?? "";
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>The direction of a <see cref="Fields"/> row.</summary>
    public TraceDirection DirectionOf(string[] row)
    {
        if (!IPAddress.TryParse(row[0], out IPAddress? s) || !IPAddress.TryParse(row[2], out IPAddress? d)) return TraceDirection.Invalid;
        return DirectionOf(new IPEndPoint(s, ParseInt(row[1])), new IPEndPoint(d, ParseInt(row[3])));
    }

    /// <summary>Parses tshark's JSON output (an array of frames) into datagrams; exposed for tests.</summary>
    public static IReadOnlyList<TraceDatagram> ParseJson(Stream json, PacketTrace trace)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(trace);
        var result = new List<TraceDatagram>();
        if (json.CanSeek && json.Length == 0) return result;
        using JsonDocument doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
        if (doc.RootElement.ValueKind != JsonValueKind.Array) return result;
        foreach (JsonElement frame in doc.RootElement.EnumerateArray())
        {
            if (!frame.TryGetProperty("_source", out JsonElement source) || !source.TryGetProperty("layers", out JsonElement layers)) continue;
            var common = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var quic = new List<QuicLayer>();
            foreach (JsonProperty layer in layers.EnumerateObject())
            {
                if (layer.Name == "quic")
                {
                    if (layer.Value.ValueKind == JsonValueKind.Array)
                    {
                        foreach (JsonElement q in layer.Value.EnumerateArray()) quic.Add(new QuicLayer(Flatten(q)));
                    }
                    else quic.Add(new QuicLayer(Flatten(layer.Value)));
                }
                else if (layer.Name is "frame" or "ip" or "ipv6" or "udp")
                {
                    FlattenInto(layer.Value, layer.Name, common);
                }
            }
            string? srcAddr = Get(common, "ip.src") ?? Get(common, "ipv6.src");
            string? dstAddr = Get(common, "ip.dst") ?? Get(common, "ipv6.dst");
            if (srcAddr is null || dstAddr is null || !IPAddress.TryParse(srcAddr, out IPAddress? s) || !IPAddress.TryParse(dstAddr, out IPAddress? d)) continue;
            var srcEp = new IPEndPoint(s, ParseInt(Get(common, "udp.srcport")));
            var dstEp = new IPEndPoint(d, ParseInt(Get(common, "udp.dstport")));
            int ecn = ParseInt(Get(common, "ip.dsfield.ecn") ?? Get(common, "ipv6.tclass.ecn"));
            double time = double.TryParse(Get(common, "frame.time_epoch"), NumberStyles.Float, CultureInfo.InvariantCulture, out double t) ? t : 0;
            result.Add(new TraceDatagram(ParseInt(Get(common, "frame.number")), time, srcEp, dstEp, ParseInt(Get(common, "udp.length")), ecn,
                trace.DirectionOf(srcEp, dstEp), quic));
        }
        return result;
    }

    private static Dictionary<string, List<string>> Flatten(JsonElement element)
    {
        var fields = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        FlattenInto(element, "", fields);
        return fields;
    }

    private static void FlattenInto(JsonElement element, string name, Dictionary<string, List<string>> fields)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (JsonProperty p in element.EnumerateObject()) FlattenInto(p.Value, p.Name, fields);
                break;
            case JsonValueKind.Array:
                foreach (JsonElement e in element.EnumerateArray()) FlattenInto(e, name, fields);
                break;
            case JsonValueKind.String:
                Add(fields, name, element.GetString() ?? "");
                break;
            case JsonValueKind.Number:
            case JsonValueKind.True:
            case JsonValueKind.False:
                Add(fields, name, element.GetRawText());
                break;
        }
    }

    private static void Add(Dictionary<string, List<string>> fields, string name, string value)
    {
        if (name.Length == 0) return;
        if (!fields.TryGetValue(name, out List<string>? list)) fields[name] = list = [];
        list.Add(value);
    }

    private static string? Get(Dictionary<string, List<string>> fields, string name) =>
        fields.TryGetValue(name, out List<string>? v) && v.Count > 0 ? v[0] : null;

    private static string? First(string? aggregated)
    {
        if (string.IsNullOrEmpty(aggregated)) return null;
        int comma = aggregated.IndexOf(',');
        return comma < 0 ? aggregated : aggregated[..comma];
    }

    private static int ParseInt(string? s) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : 0;

    private static bool SameEndPoint(IPEndPoint a, IPEndPoint b) =>
        a.Port == b.Port && Normalize(a.Address).Equals(Normalize(b.Address));

    private static IPAddress Normalize(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;

    /// <summary>
    /// The file tshark dissects: with a key log and more than one client endpoint, a copy in which every client
    /// endpoint is the first one (OnePathPcap: tshark 4.0 decrypts no 1-RTT packet when the first one is on another
    /// 4-tuple than the TLS handshake, as after a rebinding inside the handshake); else the pcap itself.
    /// </summary>
    private string DissectPath()
    {
        if (_dissectPath is not null) return _dissectPath;
        _dissectPath = PcapPath;
        if (KeyLogPath is null || !File.Exists(PcapPath)) return _dissectPath;
        Directory.CreateDirectory(_workDirectory);
        string copy = Path.Combine(_workDirectory, Path.GetFileNameWithoutExtension(PcapPath) + ".onepath.pcap");
        if (OnePathPcap.TryWrite(PcapPath, IsServer, copy))
        {
            _realEndpoints = OnePathPcap.Endpoints(PcapPath);
            _dissectPath = copy;
        }
        return _dissectPath;
    }

    private string NextOutputPath(string extension)
    {
        Directory.CreateDirectory(_workDirectory);
        int n = Interlocked.Increment(ref _queries);
        return Path.Combine(_workDirectory, $"{Path.GetFileNameWithoutExtension(PcapPath)}.q{n}.{extension}");
    }
}
