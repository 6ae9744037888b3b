namespace Transport.Quic.Tls;

/// <summary>
/// Key logging in the NSS key log format (SSLKEYLOGFILE), one line per secret:
/// <c>LABEL &lt;client_random hex&gt; &lt;secret hex&gt;</c>, for Wireshark and friends. Anyone holding the log can decrypt the traffic.
/// </summary>
public static class TlsKeyLog
{
    private static readonly Lock FileLock = new();

    /// <summary>A writer that appends lines to the file named by the SSLKEYLOGFILE environment variable, or null when it is not set.</summary>
    public static Action<string>? FromEnvironment()
    {
        string? path = Environment.GetEnvironmentVariable("SSLKEYLOGFILE");
        return string.IsNullOrEmpty(path) ? null : ToFile(path);
    }

    /// <summary>A writer that appends each line to <paramref name="path"/> (thread-safe within this process).</summary>
    public static Action<string> ToFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return line =>
        {
            lock (FileLock) File.AppendAllText(path, line + "\n");
        };
    }

    /// <summary>
    /// A writer that writes each line to <paramref name="writer"/> and flushes it (serialized by a lock on the writer, so
    /// connections on several threads may share it). The caller keeps ownership of <paramref name="writer"/>.
    /// </summary>
    public static Action<string> ToWriter(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        return line =>
        {
            lock (writer)
            {
                writer.Write(line);
                writer.Write('\n');
                writer.Flush();
            }
        };
    }

    /// <summary>The labels of the NSS key log lines a QUIC connection writes (RFC 8446 §7.1 secrets; no TLS 1.2 labels).</summary>
    public static IReadOnlyList<string> Labels { get; } =
    [
        "CLIENT_EARLY_TRAFFIC_SECRET", "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0",
    ];

    internal static void Write(Action<string>? log, string label, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> secret)
    {
        if (log is null) return;
        string line = $"{label} {Convert.ToHexStringLower(clientRandom)} {Convert.ToHexStringLower(secret)}";
        try
        {
            log(line);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A debugging aid must not break the handshake (disk full, file removed): the line is lost.
        }
    }
}
