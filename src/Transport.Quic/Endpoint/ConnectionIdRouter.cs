using System.Net;
using Transport.Core.Wire;
using Transport.Quic.Packets;

namespace Transport.Quic.Endpoint;

/// <summary>
/// Finds the connection a datagram belongs to (RFC 9000 §5.2). Two maps: the connection IDs this endpoint issued, all
/// of one fixed length so a short header's Destination Connection ID can be cut out without state; and, for a
/// server's connections still in their first flight, (client address, Destination Connection ID the client chose),
/// since the client's Initial and 0-RTT packets carry that ID until it learns the server's. Lookups allocate nothing
/// (the keys are inline structs and the hashes randomized per process, so a peer cannot flood one bucket).
/// Not thread-safe: owned by the endpoint's receive loop.
/// </summary>
/// <typeparam name="THandle">What the endpoint keeps per connection (the connection object, an index, ...).</typeparam>
public sealed class ConnectionIdRouter<THandle>
{
    private readonly Dictionary<ConnectionId, THandle> _local = new();
    private readonly Dictionary<(RemoteAddressKey Remote, ConnectionId Dcid), THandle> _initial = new();

    /// <summary>A router for local connection IDs of <paramref name="localConnectionIdLength"/> bytes (e.g. 8).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A length outside 1 to 20.</exception>
    public ConnectionIdRouter(int localConnectionIdLength = 8)
    {
        Generator = new LocalConnectionIdGenerator(localConnectionIdLength);
    }

    /// <summary>The length of every connection ID this endpoint issues.</summary>
    public int LocalConnectionIdLength => Generator.Length;

    /// <summary>The generator used by <see cref="IssueConnectionId"/>.</summary>
    public LocalConnectionIdGenerator Generator { get; }

    /// <summary>The number of local connection IDs registered.</summary>
    public int Count => _local.Count;

    /// <summary>The number of (address, original DCID) entries registered.</summary>
    public int InitialCount => _initial.Count;

    /// <summary>
    /// Draws a fresh random connection ID of <see cref="LocalConnectionIdLength"/> bytes that no connection uses, and
    /// registers it for <paramref name="handle"/>.
    /// </summary>
    public ConnectionId IssueConnectionId(THandle handle)
    {
        while (true)
        {
            ConnectionId id = Generator.Next();
            if (_local.TryAdd(id, handle)) return id;
        }
    }

    /// <summary>
    /// Registers a local connection ID (e.g. the Source Connection ID of a Retry that became the connection's first ID).
    /// False when it is already registered.
    /// </summary>
    /// <exception cref="ArgumentException">A connection ID not of <see cref="LocalConnectionIdLength"/> bytes.</exception>
    public bool TryAdd(ConnectionId connectionId, THandle handle)
    {
        if (connectionId.Length != LocalConnectionIdLength)
            throw new ArgumentException($"Local connection IDs are {LocalConnectionIdLength} bytes; got {connectionId.Length}.", nameof(connectionId));
        return _local.TryAdd(connectionId, handle);
    }

    /// <summary>Removes a local connection ID (retired by the peer, or its connection closed). False when absent.</summary>
    public bool Remove(ConnectionId connectionId) => _local.Remove(connectionId);

    /// <summary>The connection a local connection ID belongs to.</summary>
    public bool TryGet(ConnectionId connectionId, out THandle handle) => _local.TryGetValue(connectionId, out handle!);

    /// <summary>
    /// Registers the Destination Connection ID a client chose for its first Initial, from its address, so its further
    /// Initial and 0-RTT packets find the connection. False when already registered.
    /// </summary>
    /// <exception cref="ArgumentException">A connection ID over 20 bytes or an address that is not IPv4/IPv6.</exception>
    public bool TryAddInitial(SocketAddress remote, ConnectionId originalDestinationConnectionId, THandle handle)
        => _initial.TryAdd((RemoteAddressKey.From(remote), originalDestinationConnectionId), handle);

    /// <summary>As <see cref="TryAddInitial(SocketAddress, ConnectionId, THandle)"/> for an <see cref="IPEndPoint"/>.</summary>
    public bool TryAddInitial(IPEndPoint remote, ConnectionId originalDestinationConnectionId, THandle handle)
        => _initial.TryAdd((RemoteAddressKey.From(remote), originalDestinationConnectionId), handle);

    /// <summary>Removes an (address, original DCID) entry, once the handshake is confirmed or the connection closed. False when absent.</summary>
    public bool RemoveInitial(SocketAddress remote, ConnectionId originalDestinationConnectionId)
        => _initial.Remove((RemoteAddressKey.From(remote), originalDestinationConnectionId));

    /// <summary>As <see cref="RemoveInitial(SocketAddress, ConnectionId)"/> for an <see cref="IPEndPoint"/>.</summary>
    public bool RemoveInitial(IPEndPoint remote, ConnectionId originalDestinationConnectionId)
        => _initial.Remove((RemoteAddressKey.From(remote), originalDestinationConnectionId));

    /// <summary>
    /// The connection <paramref name="datagram"/> from <paramref name="remote"/> belongs to. A short header is looked
    /// up by its first <see cref="LocalConnectionIdLength"/> bytes after the first byte. A long header (of any
    /// version) is looked up by its Destination Connection ID among local IDs, then among (address, client-chosen
    /// DCID) entries. False for no match or a datagram too short to hold the connection ID (never throws for the bytes).
    /// </summary>
    public bool TryRoute(ReadOnlySpan<byte> datagram, SocketAddress remote, out THandle handle)
    {
        handle = default!;
        if (!TryGetDestinationConnectionId(datagram, out ConnectionId dcid, out bool isLong)) return false;
        if (_local.TryGetValue(dcid, out handle!)) return true;
        return isLong && _initial.Count > 0 && _initial.TryGetValue((RemoteAddressKey.From(remote), dcid), out handle!);
    }

    /// <summary>As <see cref="TryRoute(ReadOnlySpan{byte}, SocketAddress, out THandle)"/> for an <see cref="IPEndPoint"/>.</summary>
    public bool TryRoute(ReadOnlySpan<byte> datagram, IPEndPoint remote, out THandle handle)
    {
        handle = default!;
        if (!TryGetDestinationConnectionId(datagram, out ConnectionId dcid, out bool isLong)) return false;
        if (_local.TryGetValue(dcid, out handle!)) return true;
        return isLong && _initial.Count > 0 && _initial.TryGetValue((RemoteAddressKey.From(remote), dcid), out handle!);
    }

    /// <summary>
    /// The Destination Connection ID of the first packet in <paramref name="datagram"/>: for a short header, the
    /// <see cref="LocalConnectionIdLength"/> bytes after the first byte; for a long header, the length-prefixed field
    /// (RFC 8999 §5). False when the datagram is too short, or a long header's ID is over 20 bytes (no QUIC v1
    /// connection can have it; Version Negotiation handles other versions).
    /// </summary>
    public bool TryGetDestinationConnectionId(ReadOnlySpan<byte> datagram, out ConnectionId destinationConnectionId, out bool isLongHeader)
    {
        destinationConnectionId = default;
        isLongHeader = false;
        if (!InvariantHeader.TryParse(datagram, LocalConnectionIdLength, out InvariantHeader header)) return false;
        isLongHeader = header.IsLongHeader;
        if (header.DestinationConnectionId.Length > ConnectionId.MaxLength) return false;
        destinationConnectionId = new ConnectionId(header.DestinationConnectionId);
        return true;
    }
}
