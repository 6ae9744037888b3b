using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Transport.Interop.Checks;

/// <summary>
/// What a cell's check needs besides the files, saved as check-input.json in the cell directory so that a kept cell
/// (pcaps, key logs, www, downloads) can be checked again later, e.g. as a test fixture. Paths are relative to the cell
/// directory.
/// </summary>
public sealed class CheckInput
{
    /// <summary>The server's address:port in the client-side trace (the relay's listening socket).</summary>
    public required string ClientTraceServer { get; init; }

    /// <summary>The server's address:port in the server-side trace.</summary>
    public required string ServerTraceServer { get; init; }

    /// <summary>Further server addresses (a preferred address), in both traces.</summary>
    public IReadOnlyList<string>? MoreServerEndPoints { get; init; }

    /// <summary>Client-side pcap, relative; null = sim/trace_node_left.pcap.</summary>
    public string? ClientPcap { get; init; }

    /// <summary>Server-side pcap, relative; null = sim/trace_node_right.pcap.</summary>
    public string? ServerPcap { get; init; }

    /// <summary>The chosen key log, relative; null = none.</summary>
    public string? KeyLog { get; init; }

    /// <summary>Requested file names.</summary>
    public required IReadOnlyList<string> Files { get; init; }

    /// <summary>File name in a cell directory.</summary>
    public const string FileName = "check-input.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Writes it into <paramref name="cellDirectory"/>.</summary>
    public void Save(string cellDirectory) => File.WriteAllText(Path.Combine(cellDirectory, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>Reads a cell directory's check-input.json.</summary>
    public static CheckInput Load(string cellDirectory) =>
        JsonSerializer.Deserialize<CheckInput>(File.ReadAllText(Path.Combine(cellDirectory, FileName)), Json)
        ?? throw new FormatException($"{FileName} in {cellDirectory} is empty.");

    /// <summary>
    /// The check context of a kept cell directory laid out as the matrix leaves it (sim/trace_node_left.pcap,
    /// sim/trace_node_right.pcap, www/, downloads/); tshark output goes to <paramref name="workDirectory"/>.
    /// </summary>
    public static CheckContext LoadContext(string cellDirectory, string workDirectory)
    {
        CheckInput input = Load(cellDirectory);
        string? keyLog = input.KeyLog is null ? null : Path.Combine(cellDirectory, input.KeyLog);
        List<IPEndPoint> more = (input.MoreServerEndPoints ?? []).Select(IPEndPoint.Parse).ToList();
        string left = Path.Combine(cellDirectory, input.ClientPcap ?? Path.Combine("sim", "trace_node_left.pcap"));
        string right = Path.Combine(cellDirectory, input.ServerPcap ?? Path.Combine("sim", "trace_node_right.pcap"));
        return new CheckContext
        {
            ClientTrace = new PacketTrace(left, IPEndPoint.Parse(input.ClientTraceServer), keyLog, workDirectory, moreServerEndPoints: more),
            ServerTrace = new PacketTrace(right, IPEndPoint.Parse(input.ServerTraceServer), keyLog, workDirectory, moreServerEndPoints: more),
            KeyLog = keyLog,
            WebRoot = Path.Combine(cellDirectory, "www"),
            DownloadDirectory = Path.Combine(cellDirectory, "downloads"),
            Files = input.Files,
        };
    }
}
