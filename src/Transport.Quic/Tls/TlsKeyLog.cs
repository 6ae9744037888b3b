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

    internal static void Write(Action<string>? log, string label, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> secret)
    {
        if (log is null) return;
        log($"{label} {Convert.ToHexStringLower(clientRandom)} {Convert.ToHexStringLower(secret)}");
    }
}
