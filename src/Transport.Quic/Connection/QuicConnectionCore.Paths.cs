using System.Net;
using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Frames;
using Transport.Quic.Packets;
using Transport.Reliable;
using Transport.Reliable.Congestion;

namespace Transport.Quic.Connection;

// Paths (RFC 9000 §8.2, §9): which address each datagram came from, path validation with PATH_CHALLENGE and
// PATH_RESPONSE, the server following a peer's address change (NAT rebinding or migration), the client's active
// migration, and the anti-amplification limit on unvalidated paths.
public sealed partial class QuicConnectionCore
{
    /// <summary>At most this many paths are remembered (the active one, the last validated one, and candidates).</summary>
    private const int MaxPaths = 4;

    private readonly List<PathState> _paths = new(MaxPaths);
    private PathState? _activePath;      // created on first need; null means "the handshake path" (RemoteEndPoint, default local)
    private PathState? _fallbackPath;    // RFC 9000 §9.3.2: the last validated path, to revert to when validation fails
    private PathState? _datagramPath;    // the path of the datagram being processed (null: unknown address, not yet authenticated)
    private IPEndPoint? _datagramRemote;
    private IPEndPoint? _datagramLocal;
    private int _datagramLength;
    private bool _packetNonProbing;      // RFC 9000 §9.1: the packet being processed carries a non-probing frame
    private long _largestNonProbingPacketNumber = -1;
    private int _pathMigrations;
    private int _pathValidationFailures;
    private int _pathCongestionResets;
    private int _pathChallengesSent;
    private bool _datagramFromNewHandshakeAddress; // server, handshake not confirmed: the datagram came from another client address
    private int _handshakeAddressChanges;
    private bool _handshakePathChallengePending;    // server followed the client during the handshake: challenge the new address
    private IPEndPoint? _handshakePathChallengeRemote; // where that challenge went (until answered)
    private ulong _handshakePathChallengeData;
    private int _handshakePathResponses;

    /// <summary>
    /// Processes one UDP datagram that arrived from <paramref name="remote"/> at the local address <paramref name="local"/>
    /// (null: the driver's default socket, the same as <see cref="HandleDatagram"/>; a client that migrated with
    /// <see cref="TryMigrate"/> passes the new local address for datagrams received there).
    /// </summary>
    public void HandleDatagramAt(Instant now, IPEndPoint remote, IPEndPoint? local, ReadOnlySpan<byte> datagram)
    {
        try
        {
            HandleDatagramCore(now, remote, local, datagram);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            OnInternalError(ex);
        }
    }

    /// <summary>The local address the connection sends from now (null: the driver's default socket).</summary>
    public IPEndPoint? LocalEndPoint => _activePath?.Local;

    /// <summary>
    /// Client: starts an active migration to the local address <paramref name="localEndPoint"/> (RFC 9000 §9.2): a
    /// PATH_CHALLENGE goes out from that address (<see cref="TransmitInfo.Source"/>) with a connection ID of the server's
    /// not used before (RFC 9000 §9.5); when the PATH_RESPONSE arrives the connection moves to the new path
    /// (<see cref="ConnectionEventKind.PathMigrated"/>) and retires the old connection ID; if validation times out it
    /// stays where it was (<see cref="ConnectionEventKind.PathValidationFailed"/>). The driver must then receive on that
    /// address and pass it to <see cref="HandleDatagramAt"/>.
    /// Returns false when migration is not possible now: the handshake is not confirmed, the server sent
    /// disable_active_migration, it supplied no spare connection ID, a migration is already under way, or the
    /// connection is closing.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="localEndPoint"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called on a server connection (only clients migrate, RFC 9000 §9).</exception>
    public bool TryMigrate(IPEndPoint localEndPoint)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        if (IsServer) throw new InvalidOperationException("Only a client initiates connection migration (RFC 9000 §9).");
        if (_phase != ConnectionPhase.Open || !_handshakeConfirmed || _oneRtt is null) return false;  // RFC 9000 §9
        if (_peerParameters is { DisableActiveMigration: true }) return false;                        // RFC 9000 §9, §18.2
        var active = ActivePath;
        if (active.Is(RemoteEndPoint, localEndPoint)) return false;
        foreach (var p in _paths) if (p != active && p.IsValidating) return false;
        if (!TryTakeUnusedPeerId(out var spare)) return false;                                        // RFC 9000 §9.5
        var path = FindPath(RemoteEndPoint, localEndPoint) ?? AddPath(RemoteEndPoint, localEndPoint);
        if (path is null) return false;
        path.DestinationConnectionId = spare.Id;
        path.DestinationSequence = spare.Sequence;
        path.StartValidation(_now + PathValidationTimeout());
        return true;
    }

    internal int PathMigrationCount => _pathMigrations;
    internal int PathValidationFailureCount => _pathValidationFailures;
    internal int PathCongestionResetCount => _pathCongestionResets;
    internal int PathChallengesSentCount => _pathChallengesSent;
    internal int HandshakeAddressChangeCount => _handshakeAddressChanges;
    internal int HandshakePathResponseCount => _handshakePathResponses;
    internal bool IsActivePathValidating => _activePath?.IsValidating ?? false;

    private PathState ActivePath
    {
        get
        {
            if (_activePath is null)
            {
                _activePath = new PathState(RemoteEndPoint, null) { LastActivity = _now };
                _paths.Add(_activePath);
            }
            return _activePath;
        }
    }

    private PathState? FindPath(IPEndPoint remote, IPEndPoint? local)
    {
        if (_activePath is null) return PathState.SameEndPoint(remote, RemoteEndPoint) && local is null ? ActivePath : null;
        foreach (var p in _paths) if (p.Is(remote, local)) return p;
        return null;
    }

    /// <summary>Adds a path, forgetting the least recently used one that is neither active nor the fallback when full; null when none can go.</summary>
    private PathState? AddPath(IPEndPoint remote, IPEndPoint? local)
    {
        _ = ActivePath;
        if (_paths.Count >= MaxPaths)
        {
            PathState? victim = null;
            foreach (var p in _paths)
                if (p != _activePath && p != _fallbackPath && (victim is null || p.LastActivity < victim.LastActivity)) victim = p;
            if (victim is null) return null;
            RemovePath(victim);
        }
        var path = new PathState(remote, local) { LastActivity = _now, DestinationSequence = -1 };
        _paths.Add(path);
        return path;
    }

    private void RemovePath(PathState path)
    {
        _paths.Remove(path);
        if (_fallbackPath == path) _fallbackPath = null;
        long seq = path.DestinationSequence;
        if (path == _activePath || seq < 0) return;
        foreach (var p in _paths) if (SequenceOf(p) == seq) return;
        _cids.RetirePeer(seq); // RFC 9000 §5.1.2: an ID no path uses any more
    }

    private long SequenceOf(PathState p) => p == _activePath ? _cids.CurrentSequence : p.DestinationSequence;

    /// <summary>A peer connection ID no path uses (RFC 9000 §9.5: a new path gets a new ID), lowest sequence first.</summary>
    private bool TryTakeUnusedPeerId(out ConnectionIdManager.PeerId id)
    {
        id = null!;
        foreach (var candidate in _cids.Peer)
        {
            bool used = candidate.Sequence == _cids.CurrentSequence;
            foreach (var p in _paths) used |= SequenceOf(p) == candidate.Sequence;
            if (used || (id is not null && id.Sequence < candidate.Sequence)) continue;
            id = candidate;
        }
        return id is not null;
    }

    /// <summary>
    /// Called before the packets of a datagram are opened: finds its path and counts its bytes for that path's
    /// anti-amplification limit. False: drop the datagram (RFC 9000 §9: no migration before the handshake is confirmed;
    /// a client discards packets from an address that is not the server's).
    /// </summary>
    private bool BeginDatagram(IPEndPoint remote, IPEndPoint? local, int length)
    {
        _datagramRemote = remote;
        _datagramLocal = local;
        _datagramLength = length;
        _datagramFromNewHandshakeAddress = false;
        if (_activePath is null && PathState.SameEndPoint(remote, RemoteEndPoint) && local is null)
        {
            _datagramPath = null; // the handshake path, not materialized yet
            _amplificationBytesReceived += length;
            return true;
        }
        _datagramPath = FindPath(remote, local);
        if (_datagramPath == _activePath && _datagramPath is not null)
        {
            _amplificationBytesReceived += length;
            return true;
        }
        if (_datagramPath is not null)
        {
            _datagramPath.BytesReceived += length;
            return true;
        }
        // RFC 9000 §9: a client discards packets from unknown server addresses (after a move to the preferred address,
        // the original one is still the server's, RFC 9000 §9.6).
        if (!IsServer) return PathState.SameEndPoint(remote, RemoteEndPoint) || IsHandshakeServerAddress(remote);
        if (_handshakeConfirmed) return true;
        // Before confirmation there is no migration (RFC 9000 §9), but a NAT may still rebind the client (RFC 9000 §9:
        // "not all changes of peer address are intentional"): the datagram is opened, and an authenticated packet newer
        // than any before moves the handshake to that address (FollowHandshakeAddress). Its bytes count only then.
        if (_activePath is not null || local is not null) return false;
        _datagramFromNewHandshakeAddress = true;
        return true;
    }

    /// <summary>
    /// Server, handshake not confirmed: a packet of a datagram from a new client address authenticated. When its packet
    /// number is above every one received before in its space (not a late copy from the old address), the handshake
    /// follows the client there: the new address starts unvalidated, with the anti-amplification limit counting from
    /// this datagram (RFC 9000 §8.1; a Handshake packet from it validates it as usual). Without this a NAT rebinding
    /// during the handshake left the server answering a mapping the NAT had dropped until the handshake timed out.
    /// </summary>
    private void FollowHandshakeAddress(long packetNumber, long largestBefore)
    {
        if (!_datagramFromNewHandshakeAddress || packetNumber <= largestBefore || _datagramRemote is null) return;
        _datagramFromNewHandshakeAddress = false;
        RemoteEndPoint = _datagramRemote;
        _addressValidated = false;
        _amplificationBytesReceived = _datagramLength;
        _amplificationBytesSent = 0;
        _handshakeAddressChanges++;
        // RFC 9000 §9.3, §8.2: the new address is challenged as after a migration. A server has 1-RTT keys after its
        // first flight, so the first datagram to the new address carries a PATH_CHALLENGE in a 1-RTT packet coalesced
        // after any Initial/Handshake packets (WriteHandshakePathChallenge); the anti-amplification limit still applies.
        _handshakePathChallengePending = IsServer && CanSendOneRtt;
        UpdateAmplificationState();
    }

    /// <summary>Bytes an Initial/Handshake packet leaves free for the coalesced 1-RTT PATH_CHALLENGE packet, when one is due.</summary>
    private int HandshakePathChallengeReserve(int dcidLength) =>
        _handshakePathChallengePending && CanSendOneRtt ? ShortHeaderBuilder.GetHeaderLength(dcidLength, 4) + 16 + TagLength : 0;

    /// <summary>Writes the PATH_CHALLENGE for an address the server followed during the handshake (FollowHandshakeAddress).</summary>
    private void WriteHandshakePathChallenge(ref SpanWriter w)
    {
        if (!_handshakePathChallengePending) return;
        ulong value = Transport.Core.Security.SecureRandom.GetUInt64(); // RFC 9000 §8.2.1: unpredictable
        if (!FrameWriter.TryWrite(ref w, new PathChallengeFrame(value))) return;
        _handshakePathChallengePending = false;
        _handshakePathChallengeData = value;
        _handshakePathChallengeRemote = RemoteEndPoint;
        _pathChallengesSent++;
    }

    /// <summary>The path of the datagram being processed, created (and credited with the datagram's bytes) on first need.</summary>
    private PathState? DatagramPath()
    {
        if (_datagramPath is not null) return _datagramPath;
        if (_datagramRemote is null) return null;
        if (_activePath is null && PathState.SameEndPoint(_datagramRemote, RemoteEndPoint) && _datagramLocal is null) return _datagramPath = ActivePath;
        if (!IsServer) return null; // a client answers on its active path when the local address is unknown
        var path = AddPath(_datagramRemote, _datagramLocal);
        if (path is null) return null;
        path.BytesReceived += _datagramLength;
        return _datagramPath = path;
    }

    private static bool IsProbingFrame(FrameType type) =>
        type is FrameType.Padding or FrameType.PathChallenge or FrameType.PathResponse or FrameType.NewConnectionId; // RFC 9000 §9.1

    /// <summary>RFC 9000 §8.2.2: answer on the path the challenge arrived on, once per challenge.</summary>
    private bool OnPathChallengeFrame(PathChallengeFrame f)
    {
        var path = DatagramPath() ?? ActivePath;
        if (path.PendingResponses.Count < 4) path.PendingResponses.Enqueue(f.Data);
        // Server: a client probing a new path (active migration, a move to the preferred address) gets a PATH_CHALLENGE in
        // the same datagram as the response, so the path is validated both ways before it carries data (RFC 9000 §8.2, §9.3).
        if (IsServer && _handshakeConfirmed && path != _activePath && !path.IsValidated && !path.IsValidating)
            path.StartValidation(_now + PathValidationTimeout());
        return true;
    }

    /// <summary>RFC 9000 §8.2.3: a response validates the path its challenge was sent on, whichever path it arrives on; other data is ignored.</summary>
    private bool OnPathResponseFrame(PathResponseFrame f)
    {
        if (_handshakePathChallengeRemote is { } challenged && f.Data == _handshakePathChallengeData)
        {
            // RFC 9000 §8.2.3: the address the server followed during the handshake answered.
            _handshakePathChallengeRemote = null;
            _handshakePathResponses++;
            if (!_addressValidated && PathState.SameEndPoint(challenged, RemoteEndPoint))
            {
                _addressValidated = true;
                UpdateAmplificationState();
            }
            return true;
        }
        foreach (var p in _paths)
        {
            if (!p.Matches(f.Data)) continue;
            OnPathValidated(p);
            return true;
        }
        return true;
    }

    /// <summary>After a 1-RTT packet was processed: a non-probing packet with the highest packet number so far, from a new address, moves the server there (RFC 9000 §9.3).</summary>
    private void AfterOneRttPacket(long packetNumber)
    {
        if (_phase != ConnectionPhase.Open) return;
        if (_datagramPath is { } known) known.LastActivity = _now;
        if (!_packetNonProbing || packetNumber <= _largestNonProbingPacketNumber) return;
        _largestNonProbingPacketNumber = packetNumber;
        if (!IsServer || !_handshakeConfirmed) return;
        var path = DatagramPath();
        if (path is null || path == _activePath) return;
        MigrateTo(path);
    }

    /// <summary>The server follows the peer to <paramref name="path"/> (RFC 9000 §9.3).</summary>
    private void MigrateTo(PathState path)
    {
        var old = ActivePath;
        // RFC 9000 §9.5: a new destination address gets a new connection ID when the peer gave spare ones (a NAT
        // rebinding may keep the current one when there is none).
        if (path.DestinationSequence < 0 || !_cids.IsPeerActive(path.DestinationSequence))
        {
            if (TryTakeUnusedPeerId(out var spare))
            {
                path.DestinationConnectionId = spare.Id;
                path.DestinationSequence = spare.Sequence;
            }
            else
            {
                path.DestinationConnectionId = _cids.Current;
                path.DestinationSequence = _cids.CurrentSequence;
            }
        }
        Deactivate(old);
        if (old.IsValidated) _fallbackPath = old;
        Activate(path);
        _pathMigrations++;
        if (!path.IsValidated)
        {
            // RFC 9000 §9.3: validate the new address; the first packet sent there carries the PATH_CHALLENGE.
            if (!path.IsValidating) path.StartValidation(_now + PathValidationTimeout());
        }
        else if (_fallbackPath == path)
        {
            _fallbackPath = null; // back on the last validated path (RFC 9000 §9.3: no need to validate it again)
        }
        else if (_fallbackPath == old)
        {
            // Validated before it carried a non-probing packet (the server's own challenge on the client's probe): done now.
            CompleteActivePathValidation(path);
            Emit(ConnectionEventKind.PathMigrated);
            return;
        }
        // RFC 9000 §9.3.3: probe the previously active path too, so a forwarded copy cannot take the connection away.
        if (old.IsValidated && !old.IsValidating) old.StartValidation(_now + PathValidationTimeout());
        else if (!old.IsValidated && old.IsValidating) old.StopValidation(); // RFC 9000 §9.3: abandon the other validation
        Emit(ConnectionEventKind.PathMigrated);
    }

    private void Deactivate(PathState p)
    {
        p.IsValidated = _addressValidated;
        p.BytesReceived = _amplificationBytesReceived;
        p.BytesSent = _amplificationBytesSent;
        p.DestinationConnectionId = _cids.Current;
        p.DestinationSequence = _cids.CurrentSequence;
    }

    private void Activate(PathState p)
    {
        _activePath = p;
        RemoteEndPoint = p.Remote;
        _addressValidated = p.IsValidated || !IsServer; // RFC 9000 §8: the limit protects the client's address only
        _amplificationBytesReceived = p.BytesReceived;
        _amplificationBytesSent = p.BytesSent;
        _cids.Use(p.DestinationSequence);
        UpdateAmplificationState();
        OnPathMtuPathChanged(); // RFC 9000 §14.2.1: a new path's PMTU is unknown (QuicConnectionCore.PathMtu.cs)
    }

    private void OnPathValidated(PathState path)
    {
        path.StopValidation();
        if (path == _activePath)
        {
            path.IsValidated = true;
            _addressValidated = true;
            UpdateAmplificationState();
            CompleteActivePathValidation(path);
            return;
        }
        path.IsValidated = true;
        if (IsServer) return; // the RFC 9000 §9.3.3 probe of the previous path succeeded: it stays the fallback
        // Client: the probed path works; move there (RFC 9000 §9.2) and retire the old connection ID.
        var old = ActivePath;
        Deactivate(old);
        Activate(path);
        _pathMigrations++;
        if (!OnlyPortChanged(old, path)) ResetCongestionState(); // RFC 9000 §9.4
        old.StopValidation();
        RemovePath(old);
        Emit(ConnectionEventKind.PathMigrated);
    }

    /// <summary>The active path is validated: forget the previous one (RFC 9000 §9.4: new congestion state unless only the port changed).</summary>
    private void CompleteActivePathValidation(PathState path)
    {
        if (_fallbackPath is not { } previous || previous == path) return;
        if (!OnlyPortChanged(previous, path)) ResetCongestionState(); // RFC 9000 §9.4
        _fallbackPath = null;
        RemovePath(previous);
        QueueNewToken(); // RFC 9000 §9.3: a token for the client's new address
    }

    /// <summary>RFC 9000 §9.4: only the port changed (typical of NAT rebinding): congestion and RTT state may be kept.</summary>
    private static bool OnlyPortChanged(PathState a, PathState b) =>
        a.Remote.Address.Equals(b.Remote.Address) && (a.Local is null ? b.Local is null : b.Local is not null && a.Local.Address.Equals(b.Local.Address));

    /// <summary>RFC 9000 §9.4, RFC 9002 §5.3: a new path starts with the initial congestion window and RTT estimate.</summary>
    private void ResetCongestionState()
    {
        var factory = _options.CongestionControllerFactory ?? CongestionControllerFactory.For(_options.CongestionControl);
        _recovery.ResetForNewPath(factory.Create(_maxDatagramSize), _now);
        _pacer.SetRate(_now, _recovery.CongestionController.PacingRate);
        _pathCongestionResets++;
    }

    /// <summary>RFC 9000 §8.2.4: three times the larger of the current PTO and the PTO of a new path (kInitialRtt).</summary>
    private TimeSpan PathValidationTimeout()
    {
        TimeSpan current = _recovery.Rtt.GetProbeTimeout(_recovery.MaxAckDelay, includeMaxAckDelay: true);
        TimeSpan initial = 3 * _options.InitialRtt + _recovery.MaxAckDelay;
        return 3 * (current > initial ? current : initial);
    }

    /// <summary>The PTO used to space PATH_CHALLENGE retransmissions (RFC 9000 §8.2.1), doubling per challenge sent.</summary>
    private TimeSpan PathChallengeInterval(int challengesSent)
    {
        TimeSpan pto = _recovery.Rtt.GetProbeTimeout(_recovery.MaxAckDelay, includeMaxAckDelay: true);
        return pto * (1 << Math.Min(challengesSent, 8));
    }

    private Instant? NextPathTimeout()
    {
        Instant? t = null;
        foreach (var p in _paths)
        {
            t = Earliest(t, p.ValidationDeadline);
            if (!p.ChallengePending) t = Earliest(t, p.NextChallengeAt);
        }
        return t;
    }

    private void OnPathTimers(Instant now)
    {
        for (int i = _paths.Count - 1; i >= 0 && i < _paths.Count; i--)
        {
            var p = _paths[i];
            if (p.ValidationDeadline is { } deadline && now >= deadline) OnPathValidationFailed(p);
            else if (p.NextChallengeAt is { } again && now >= again) p.ChallengePending = true; // RFC 9000 §8.2.1: send another
        }
    }

    /// <summary>RFC 9000 §8.2.4: validation abandoned; the active path reverts to the last validated one (RFC 9000 §9.3.2).</summary>
    private void OnPathValidationFailed(PathState path)
    {
        path.StopValidation();
        if (path == _activePath ? _addressValidated : path.IsValidated) return; // the RFC 9000 §9.3.3 probe of a validated path: nothing changes
        _pathValidationFailures++;
        if (path == _activePath)
        {
            if (_fallbackPath is { } fallback)
            {
                Deactivate(path);
                Activate(fallback);
                _fallbackPath = null;
                Emit(ConnectionEventKind.PathValidationFailed);
                Emit(ConnectionEventKind.PathMigrated);
            }
            else
            {
                Emit(ConnectionEventKind.PathValidationFailed);
            }
            return;
        }
        if (!IsServer) Emit(ConnectionEventKind.PathValidationFailed); // a client's migration attempt failed: stay
        RemovePath(path);
    }

    private bool AnyPathFramesToSend()
    {
        foreach (var p in _paths) if (p.HasPathFramesToSend) return true;
        return false;
    }

    /// <summary>
    /// A datagram of path frames (PATH_CHALLENGE, PATH_RESPONSE) for some path, expanded to 1200 bytes unless the
    /// path's anti-amplification limit forbids (RFC 9000 §8.2.1, §8.2.2); 0 when there is none to send now.
    /// </summary>
    private int PollPathTransmit(Span<byte> buffer, out TransmitInfo info)
    {
        info = default;
        if (_phase != ConnectionPhase.Open || _oneRtt is null || !_handshakeComplete || !AnyPathFramesToSend()) return 0;
        try
        {
            foreach (var path in _paths)
            {
                if (!path.HasPathFramesToSend) continue;
                bool active = path == _activePath;
                long budget = !IsServer || (active ? _addressValidated : path.IsValidated) ? long.MaxValue
                    : active ? AmplificationBudget : 3 * path.BytesReceived - path.BytesSent;
                int limit = (int)Math.Min(Math.Min(buffer.Length, _maxDatagramSize), budget);
                if (limit < 64) continue; // wait for more bytes from that address (RFC 9000 §8)
                int n = BuildPathDatagram(path, buffer.Slice(0, limit));
                if (n == 0) continue;
                _statBytesSent += n;
                if (active) _amplificationBytesSent += n;
                else path.BytesSent += n;
                info = new TransmitInfo(path.Remote, _now, 0) { Source = path.Local };
                if (active) UpdateAmplificationState();
                return n;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            OnInternalError(ex);
        }
        return 0;
    }

    private int BuildPathDatagram(PathState path, Span<byte> buffer)
    {
        var app = _spaces[2];
        if (path != _activePath && !_cids.IsPeerActive(path.DestinationSequence))
        {
            // A new path (or its ID was retired meanwhile): an unused peer ID (RFC 9000 §9.5); with none left, the
            // current one, as for a NAT rebinding, rather than leave a challenge unanswered.
            if (TryTakeUnusedPeerId(out var spare))
            {
                path.DestinationConnectionId = spare.Id;
                path.DestinationSequence = spare.Sequence;
            }
            else
            {
                path.DestinationConnectionId = _cids.Current;
                path.DestinationSequence = _cids.CurrentSequence;
            }
        }
        ConnectionId dcid = path == _activePath ? _cids.Current : path.DestinationConnectionId;
        long pn = app.NextPacketNumber;
        long largestAcked = _recovery.GetLargestAcknowledged(app.Id);
        int pnLength = PacketNumber.GetEncodedLength((ulong)pn, largestAcked >= 0 ? (ulong)largestAcked : null);
        int headerLength = ShortHeaderBuilder.GetHeaderLength(dcid.Length, pnLength);
        int room = buffer.Length - headerLength - TagLength;
        if (room < 9) return 0;
        var w = new SpanWriter(PayloadScratch[2].AsSpan(0, room));
        if (path.ChallengePending)
        {
            ulong data = path.NewChallenge(_now + PathChallengeInterval(path.ChallengesSent));
            FrameWriter.TryWrite(ref w, new PathChallengeFrame(data));
            _pathChallengesSent++;
        }
        while (path.PendingResponses.TryPeek(out ulong response) && FrameWriter.TryWrite(ref w, new PathResponseFrame(response)))
            path.PendingResponses.Dequeue();
        if (w.Position == 0) return 0;
        app.NextPacketNumber = pn + 1;
        _built[0] = new BuiltPacket
        {
            Space = app, PacketNumber = pn, PacketNumberLength = pnLength, HeaderLength = headerLength, PayloadLength = w.Position,
        };
        int used = headerLength + w.Position + TagLength;
        int target = Math.Min(InitialDatagramPadding.MinimumDatagramSize, buffer.Length);
        int n = Assemble(buffer, 1, used, target, dcid, LocalConnectionId, track: false);
        // Tracked so the peer's acknowledgment of it is valid, but outside bytes in flight and the PTO: a challenge has
        // its own timer and its loss says nothing about the active path's congestion (RFC 9000 §9.4).
        _recovery.OnPacketSent(PacketNumberSpace.ApplicationData, pn, _now, n, isAckEliciting: false, isInFlight: false);
        return n;
    }
}
