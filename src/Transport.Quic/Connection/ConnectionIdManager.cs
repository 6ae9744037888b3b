using System.Security.Cryptography;
using Transport.Core.Security;
using Transport.Core.Wire;

namespace Transport.Quic.Connection;

/// <summary>
/// The connection IDs of one connection (RFC 9000 §5.1): those this endpoint issued (sequence numbers, stateless reset
/// tokens, NEW_CONNECTION_ID frames to send) and those the peer issued (the one in use as Destination Connection ID,
/// spares, RETIRE_CONNECTION_ID frames to send, the tokens that identify a stateless reset).
/// </summary>
internal sealed class ConnectionIdManager
{
    internal sealed class LocalId(long sequence, ConnectionId id, byte[] token)
    {
        public long Sequence { get; } = sequence;
        public ConnectionId Id { get; } = id;
        public byte[] Token { get; } = token;
    }

    internal sealed class PeerId(long sequence, ConnectionId id, byte[]? token)
    {
        public long Sequence { get; } = sequence;
        public ConnectionId Id { get; } = id;
        public byte[]? Token { get; set; } = token;
    }

    private readonly List<LocalId> _local = new();
    private readonly List<PeerId> _peer = new();
    private readonly Func<ConnectionId> _generate;
    private readonly Func<ConnectionId, byte[]> _token;
    private long _nextLocalSequence;
    private long _peerRetirePriorTo;

    public ConnectionIdManager(int length, Func<ConnectionId>? generator, Func<ConnectionId, byte[]>? tokenGenerator)
    {
        _generate = generator ?? (() => ConnectionId.NewRandom(length));
        _token = tokenGenerator ?? (_ => SecureRandom.GetBytes(16));
    }

    /// <summary>NEW_CONNECTION_ID frames to send (sequence numbers of local IDs).</summary>
    public Queue<long> PendingNew { get; } = new();

    /// <summary>RETIRE_CONNECTION_ID frames to send (sequence numbers of peer IDs).</summary>
    public Queue<long> PendingRetire { get; } = new();

    /// <summary>The Destination Connection ID in use.</summary>
    public ConnectionId Current { get; private set; }

    public long CurrentSequence { get; private set; }

    public int LocalCount => _local.Count;

    public IReadOnlyList<LocalId> Local => _local;

    /// <summary>The first local ID (sequence 0): the Source Connection ID of our long headers.</summary>
    public LocalId AddInitialLocal(ConnectionId id)
    {
        var l = new LocalId(_nextLocalSequence++, id, _token(id));
        _local.Add(l);
        return l;
    }

    /// <summary>Issues a new local ID; the caller announces it (event) and <see cref="PendingNew"/> has it queued.</summary>
    public LocalId IssueLocal() => IssueLocal(sendFrame: true);

    /// <summary>
    /// Issues a new local ID; <paramref name="sendFrame"/> false for the preferred_address ID (sequence 1, RFC 9000
    /// §5.1.1), which travels in the transport parameters rather than in NEW_CONNECTION_ID.
    /// </summary>
    public LocalId IssueLocal(bool sendFrame)
    {
        ConnectionId id;
        do id = _generate(); while (FindLocal(id) is not null);
        // Short headers carry no length: every ID this endpoint issues has the length of its first one.
        if (_local.Count > 0 && id.Length != _local[0].Id.Length)
            throw new InvalidOperationException($"ConnectionIdGenerator returned a {id.Length}-byte ID; this connection's IDs are {_local[0].Id.Length} bytes.");
        var l = new LocalId(_nextLocalSequence++, id, _token(id));
        _local.Add(l);
        if (sendFrame) PendingNew.Enqueue(l.Sequence);
        return l;
    }

    public LocalId? FindLocal(long sequence)
    {
        foreach (var l in _local) if (l.Sequence == sequence) return l;
        return null;
    }

    private LocalId? FindLocal(ConnectionId id)
    {
        foreach (var l in _local) if (l.Id.Equals(id)) return l;
        return null;
    }

    public long LargestIssuedSequence => _nextLocalSequence - 1;

    /// <summary>The peer retired a local ID (RETIRE_CONNECTION_ID); returns it, or null when unknown or already retired.</summary>
    public LocalId? RetireLocal(long sequence)
    {
        for (int i = 0; i < _local.Count; i++)
        {
            if (_local[i].Sequence != sequence) continue;
            var l = _local[i];
            _local.RemoveAt(i);
            return l;
        }
        return null;
    }

    /// <summary>Sets the peer's first connection ID (sequence 0), from the Source Connection ID of its first long header.</summary>
    public void SetInitialPeer(ConnectionId id)
    {
        _peer.Clear();
        _peer.Add(new PeerId(0, id, null));
        Current = id;
        CurrentSequence = 0;
    }

    /// <summary>Client: the server's preferred_address connection ID, sequence 1 (RFC 9000 §5.1.1), with its stateless reset token.</summary>
    public void AddPreferredAddressPeer(ConnectionId id, byte[] token)
    {
        foreach (var p in _peer) if (p.Sequence == 1) return;
        _peer.Add(new PeerId(1, id, token));
    }

    /// <summary>The Destination Connection ID the client uses before it hears from the server.</summary>
    public void SetProvisionalPeer(ConnectionId id) => Current = id;

    /// <summary>The server's stateless_reset_token transport parameter belongs to its first connection ID.</summary>
    public void SetInitialPeerToken(byte[] token)
    {
        foreach (var p in _peer) if (p.Sequence == 0) p.Token = token;
    }

    /// <summary>Handles NEW_CONNECTION_ID (RFC 9000 §19.15, §5.1.1, §5.1.2). Returns the error to close with, or NoError.</summary>
    public TransportErrorCode OnNewConnectionId(long sequence, long retirePriorTo, ReadOnlySpan<byte> id, ReadOnlySpan<byte> token, int activeLimit)
    {
        var cid = new ConnectionId(id);
        foreach (var p in _peer)
        {
            if (p.Sequence == sequence)
                return p.Id.Equals(cid) ? TransportErrorCode.NoError : TransportErrorCode.ProtocolViolation;
            if (p.Id.Equals(cid)) return TransportErrorCode.ProtocolViolation;
        }
        if (sequence < _peerRetirePriorTo)
        {
            PendingRetire.Enqueue(sequence); // RFC 9000 §19.15: already retired, retire at once
            return TransportErrorCode.NoError;
        }
        _peer.Add(new PeerId(sequence, cid, token.ToArray()));
        if (retirePriorTo > _peerRetirePriorTo)
        {
            _peerRetirePriorTo = retirePriorTo;
            for (int i = _peer.Count - 1; i >= 0; i--)
            {
                if (_peer[i].Sequence >= retirePriorTo) continue;
                PendingRetire.Enqueue(_peer[i].Sequence);
                _peer.RemoveAt(i);
            }
            if (CurrentSequence < retirePriorTo)
            {
                // Switch to the lowest remaining ID (RFC 9000 §5.1.2).
                PeerId? next = null;
                foreach (var p in _peer) if (next is null || p.Sequence < next.Sequence) next = p;
                if (next is null) return TransportErrorCode.ProtocolViolation;
                Current = next.Id;
                CurrentSequence = next.Sequence;
            }
        }
        if (_peer.Count > activeLimit) return TransportErrorCode.ConnectionIdLimitError; // RFC 9000 §5.1.1
        return TransportErrorCode.NoError;
    }

    /// <summary>The peer's connection IDs not retired (including <see cref="Current"/>).</summary>
    public IReadOnlyList<PeerId> Peer => _peer;

    /// <summary>True while the peer's ID of this sequence number is stored (not retired).</summary>
    public bool IsPeerActive(long sequence)
    {
        foreach (var p in _peer) if (p.Sequence == sequence) return true;
        return false;
    }

    /// <summary>Sends with the peer's ID of this sequence number from now on (a path change, RFC 9000 §9.5); false when unknown.</summary>
    public bool Use(long sequence)
    {
        foreach (var p in _peer)
        {
            if (p.Sequence != sequence) continue;
            Current = p.Id;
            CurrentSequence = p.Sequence;
            return true;
        }
        return false;
    }

    /// <summary>Retires a peer ID this endpoint no longer uses (RETIRE_CONNECTION_ID, RFC 9000 §5.1.2); never the current one.</summary>
    public void RetirePeer(long sequence)
    {
        if (sequence == CurrentSequence) return;
        for (int i = 0; i < _peer.Count; i++)
        {
            if (_peer[i].Sequence != sequence) continue;
            _peer.RemoveAt(i);
            PendingRetire.Enqueue(sequence);
            return;
        }
    }

    /// <summary>True when <paramref name="tail"/> (the last 16 bytes of a datagram) is a stateless reset token the peer gave us (RFC 9000 §10.3.1).</summary>
    public bool IsStatelessReset(ReadOnlySpan<byte> tail)
    {
        bool match = false;
        foreach (var p in _peer)
            if (p.Token is { } t && CryptographicOperations.FixedTimeEquals(t, tail)) match = true;
        return match;
    }
}
