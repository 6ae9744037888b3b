namespace Transport.Interop.Relay;

/// <summary>Counters of a <see cref="UdpRelay"/>, per direction.</summary>
public sealed class RelayStatistics
{
    /// <summary>Client-to-server direction.</summary>
    public RelayDirectionStatistics ToServer { get; } = new();

    /// <summary>Server-to-client direction.</summary>
    public RelayDirectionStatistics ToClient { get; } = new();

    internal long _mappings, _rebindings;

    /// <summary>NAT mappings created (one per client source address:port).</summary>
    public long Mappings => Interlocked.Read(ref _mappings);

    /// <summary>Upstream sockets opened by NAT rebinding (one per mapping per rebinding the mapping went through).</summary>
    public long Rebindings => Interlocked.Read(ref _rebindings);

    /// <inheritdoc/>
    public override string ToString() => $"to server: {ToServer}\nto client: {ToClient}\nmappings {Mappings}, rebindings {Rebindings}";
}
