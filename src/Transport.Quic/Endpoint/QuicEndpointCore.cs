using System.Buffers;
using System.Net;
using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Connection;
using Transport.Quic.Packets;
using Transport.Quic.Qlog;
using Transport.Quic.Tls;

namespace Transport.Quic.Endpoint;

/// <summary>
/// The sans-I/O endpoint: many <see cref="QuicConnectionCore"/> instances behind one UDP socket. It routes datagrams by
/// connection ID, creates server connections for admitted client Initials, answers with Retry, Version Negotiation and
/// stateless reset, keeps the router current from the connections' events, and multiplexes their output. Like the
/// connection it owns no socket, timer or thread; the driver calls <see cref="HandleDatagram"/>,
/// <see cref="PollTransmit"/> until 0, <see cref="NextTimeout"/>, <see cref="HandleTimeout"/>. Every connection event
/// passes through <see cref="PollEvent"/> (the endpoint drains the connections' own queues). Not thread-safe.
/// </summary>
public sealed class QuicEndpointCore : IDisposable
{
    private sealed class Entry
    {
        public QuicConnectionCore Connection = null!;
        public readonly List<ConnectionId> LocalIds = new(4);
        public IPEndPoint? InitialRemote;
        public ConnectionId InitialDcid;
        public bool HasInitialRoute;
        public bool HandshakeCounted; // server: counted in admission as a handshake in flight
        public bool PendingAccept;    // server: in the accept backlog
        public bool Accepted;
        public bool Removed;
        public int Index = -1;          // in _entries
        public bool Ready;              // in _ready: may have something to send
        public bool HasTimer;           // a live item for it is in _timers, at TimerDeadline
        public Instant TimerDeadline;
    }

    private readonly QuicEndpointOptions _options;
    private readonly ConnectionIdRouter<Entry> _router;
    private readonly HandshakeAdmission _admission;
    private readonly AddressValidationTokenProtector _protector;
    private readonly bool _ownsProtector;
    private readonly StatelessResetTokenGenerator _resetTokens;
    private readonly StatelessResetResponder _resetResponder;
    private readonly VersionNegotiationResponder _vn;
    private readonly List<Entry> _entries = new();
    private readonly Dictionary<QuicConnectionCore, Entry> _byConnection = new(ReferenceEqualityComparer.Instance);
    // Connections that may have something to send (a datagram arrived, a timer fired, created, the application drove
    // them): PollTransmit serves only these, round-robin, and drops one that has nothing. Idle ones cost nothing.
    private readonly Queue<Entry> _ready = new();
    // Timer wheel of the idle: (entry, deadline) with lazy deletion. An item is live while the entry's TimerDeadline
    // equals it and HasTimer is set; every other item is stale and skipped when it reaches the top.
    private readonly PriorityQueue<Entry, Instant> _timers = new();
    private readonly List<Entry> _due = new();
    // The client-chosen DCIDs of handshakes in progress, whatever address they came from (see HandleUnroutedLongHeader).
    private readonly Dictionary<ConnectionId, Entry> _initialByDcid = new();
    private readonly Queue<Entry> _acceptQueue = new();
    private readonly Queue<(byte[] Buffer, int Length, IPEndPoint Destination)> _stateless = new();
    private readonly Queue<(QuicConnectionCore Connection, ConnectionEvent Event)> _events = new();
    private bool _shuttingDown;
    private bool _disposed;

    /// <summary>Creates an endpoint.</summary>
    /// <exception cref="ArgumentException">Inconsistent options (the message says which).</exception>
    public QuicEndpointCore(QuicEndpointOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.LocalConnectionIdLength is < 4 or > ConnectionId.MaxLength)
            throw new ArgumentException("LocalConnectionIdLength must be 4 to 20.", nameof(options));
        if (options.SupportedVersions is null || options.SupportedVersions.Length == 0)
            throw new ArgumentException("SupportedVersions must list at least one version.", nameof(options));
        _options = options;
        _router = new ConnectionIdRouter<Entry>(options.LocalConnectionIdLength);
        _admission = new HandshakeAdmission(options.Admission);
        _ownsProtector = options.TokenProtector is null;
        _protector = options.TokenProtector ?? new AddressValidationTokenProtector();
        _resetTokens = options.StatelessResetTokens ?? new StatelessResetTokenGenerator();
        _resetResponder = new StatelessResetResponder(_resetTokens, options.LocalConnectionIdLength);
        _vn = new VersionNegotiationResponder(options.SupportedVersions);
        if (options.ServerConnectionOptions is { } server) PrepareConnectionOptions(server, nameof(options));
        _qlog = string.IsNullOrWhiteSpace(options.QlogDirectory) ? null : new QlogFileFactory(options.QlogDirectory);
        _keyLog = string.IsNullOrEmpty(options.KeyLogFile) ? null : TlsKeyLog.ToFile(options.KeyLogFile);
    }

    private readonly QlogFileFactory? _qlog;
    private readonly Action<string>? _keyLog;

    /// <summary>Connections the endpoint currently tracks (not yet terminated).</summary>
    public int ConnectionCount => _entries.Count;

    /// <summary>The admission policy's counters (handshakes in flight, accept backlog).</summary>
    public HandshakeAdmission Admission => _admission;

    /// <summary>True after <see cref="Shutdown"/> once every connection has terminated.</summary>
    public bool IsShutdownComplete => _shuttingDown && _entries.Count == 0;

    /// <summary>Datagrams that were neither routed nor answered (garbage, unsupported packets, refused Initials).</summary>
    public long DroppedDatagrams { get; private set; }

    /// <summary>Retry packets queued.</summary>
    public long RetriesSent { get; private set; }

    /// <summary>Version Negotiation packets queued.</summary>
    public long VersionNegotiationsSent { get; private set; }

    /// <summary>Initial packets with CONNECTION_CLOSE queued for refused clients (CONNECTION_REFUSED, INVALID_TOKEN).</summary>
    public long ConnectionClosesSent { get; private set; }

    /// <summary>Stateless resets queued.</summary>
    public long StatelessResetsSent { get; private set; }

    /// <summary>
    /// The driver's answer to "what is the largest UDP payload the local route to this address carries" (the route's
    /// MTU less the headers; see <c>UdpPathMtu</c>), or 0 when it cannot tell. Asked once per new connection and given
    /// to it as the upper bound of its path MTU discovery (RFC 8899 §5.1.2). Null (the default, and in virtual-time
    /// tests): connections probe up to their options' ceiling.
    /// </summary>
    internal Func<IPEndPoint, int>? LocalMaxUdpPayload { get; set; }

    private void ApplyLocalMaxUdpPayload(QuicConnectionCore connection, IPEndPoint remote)
    {
        if (LocalMaxUdpPayload is not { } query) return;
        int limit = query(remote);
        if (limit >= 1200) connection.SetLocalMaxUdpPayload(Math.Min(limit, 65527));
    }

    /// <summary>
    /// Opens a client connection to <paramref name="remote"/> on this endpoint. Its local connection IDs are routed here,
    /// so the server's replies reach it. Call <see cref="PollTransmit"/> afterwards.
    /// </summary>
    /// <exception cref="ArgumentException">Options whose connection ID length differs from the endpoint's.</exception>
    /// <exception cref="InvalidOperationException">The endpoint is shutting down or disposed.</exception>
    public QuicConnectionCore Connect(ConnectionOptions options, IPEndPoint remote, Instant now)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(remote);
        if (_shuttingDown || _disposed) throw new InvalidOperationException("The endpoint is shutting down.");
        PrepareConnectionOptions(options, nameof(options));
        for (int attempt = 0; ; attempt++)
        {
            var connection = QuicConnectionCore.CreateClient(options, remote, now, _qlog, _keyLog);
            var entry = new Entry { Connection = connection };
            if (_router.TryAdd(connection.LocalConnectionId, entry))
            {
                ApplyLocalMaxUdpPayload(connection, remote);
                entry.LocalIds.Add(connection.LocalConnectionId);
                Track(entry);
                Touched(entry);
                return connection;
            }
            connection.Dispose(); // a random ID collided with a routed one: draw again
            if (attempt > 16) throw new InvalidOperationException("No free connection ID could be drawn.");
        }
    }

    /// <summary>Takes the next server connection whose handshake completed; false when none waits.</summary>
    public bool TryAccept(out QuicConnectionCore connection)
    {
        while (_acceptQueue.TryDequeue(out var entry))
        {
            if (!entry.PendingAccept) continue; // closed while waiting
            entry.PendingAccept = false;
            entry.Accepted = true;
            _admission.OnAccepted();
            connection = entry.Connection;
            return true;
        }
        connection = null!;
        return false;
    }

    /// <summary>The next event of any connection (the endpoint has already applied connection-ID and lifecycle events).</summary>
    public bool PollEvent(out QuicConnectionCore connection, out ConnectionEvent connectionEvent)
    {
        if (_events.TryDequeue(out var item))
        {
            connection = item.Connection;
            connectionEvent = item.Event;
            return true;
        }
        connection = null!;
        connectionEvent = default;
        return false;
    }

    /// <summary>
    /// One received datagram. Never throws for its bytes: routed to a connection, answered statelessly, used to create
    /// a server connection, or dropped (<see cref="DroppedDatagrams"/>). <paramref name="ecn"/> is the ECN codepoint of
    /// its IP header when the socket reports it (<see cref="Transport.Core.Udp.DatagramMetadata.EcnCodepoint"/>), else 0.
    /// </summary>
    public void HandleDatagram(Instant now, IPEndPoint remote, ReadOnlySpan<byte> datagram, byte ecn = 0)
    {
        ArgumentNullException.ThrowIfNull(remote);
        if (_disposed) return;
        if (_router.TryRoute(datagram, remote, out Entry entry))
        {
            entry.Connection.HandleDatagramWithEcn(now, remote, null, datagram, ecn); // RFC 9000 §13.4.1: counted per packet
            MarkReady(entry); // an ACK to send, or what the peer's ACK or credit released
            Touched(entry);
            return;
        }
        if (datagram.IsEmpty) { DroppedDatagrams++; return; }
        if ((datagram[0] & 0x80) != 0) HandleUnroutedLongHeader(now, remote, datagram, ecn);
        else HandleUnroutedShortHeader(now, remote, datagram);
    }

    /// <summary>
    /// One datagram received on a further local address <paramref name="local"/> of the driver (a server's preferred
    /// address, RFC 9000 §9.6; null: the default one, as <see cref="HandleDatagram"/>). Only connections already there
    /// are served: it is routed by connection ID to <see cref="QuicConnectionCore.HandleDatagramAt"/>, else dropped.
    /// </summary>
    public void HandleDatagramAt(Instant now, IPEndPoint remote, IPEndPoint? local, ReadOnlySpan<byte> datagram, byte ecn = 0)
    {
        if (local is null)
        {
            HandleDatagram(now, remote, datagram, ecn);
            return;
        }
        ArgumentNullException.ThrowIfNull(remote);
        if (_disposed) return;
        if (_router.TryRoute(datagram, remote, out Entry entry))
        {
            entry.Connection.HandleDatagramWithEcn(now, remote, local, datagram, ecn);
            MarkReady(entry);
            Touched(entry);
            return;
        }
        DroppedDatagrams++;
    }

    private void HandleUnroutedLongHeader(Instant now, IPEndPoint remote, ReadOnlySpan<byte> datagram, byte ecn)
    {
        // RFC 9000 §6.1: an unsupported version in a datagram >= 1200 bytes gets Version Negotiation.
        byte[] vnBuffer = ArrayPool<byte>.Shared.Rent(_vn.MaximumPacketLength);
        var outcome = _vn.TryWrite(datagram, vnBuffer, out int vnLength);
        if (outcome == VersionNegotiationOutcome.Send)
        {
            if (Enqueue(vnBuffer, vnLength, remote)) VersionNegotiationsSent++;
            return;
        }
        ArrayPool<byte>.Shared.Return(vnBuffer);
        if (outcome != VersionNegotiationOutcome.Supported) { DroppedDatagrams++; return; }

        // The client's Initial with the DCID of a handshake in progress, from another address: a NAT rebound the client
        // before it learnt our connection ID. It belongs to that connection (which follows the client when the packet
        // authenticates, QuicConnectionCore.FollowHandshakeAddress), never to a second handshake with the same client.
        if (_initialByDcid.Count > 0 && LongHeader.TryParse(datagram, out LongHeader retransmitted) && retransmitted.Type == PacketType.Initial
            && retransmitted.DestinationConnectionId.Length <= ConnectionId.MaxLength
            && _initialByDcid.TryGetValue(new ConnectionId(retransmitted.DestinationConnectionId), out Entry? existing))
        {
            existing.Connection.HandleDatagramWithEcn(now, remote, null, datagram, ecn);
            MarkReady(existing);
            Touched(existing);
            return;
        }

        var serverOptions = _options.ServerConnectionOptions;
        // RFC 9000 §14.1: a server drops an Initial in a datagram under 1200 bytes.
        if (serverOptions is null || _shuttingDown || datagram.Length < 1200
            || !LongHeader.TryParse(datagram, out LongHeader header) || header.Type != PacketType.Initial
            || header.DestinationConnectionId.Length < 8 && header.Token.IsEmpty)
        {
            DroppedDatagrams++;
            return;
        }

        AddressValidationTokenResult token = _protector.Validate(header.Token, now, remote.Address);
        // A Retry token must come back on the Retry's Source Connection ID (RFC 9000 §7.3): otherwise it counts as none.
        if (token.IsValid && token.Kind == AddressValidationTokenKind.Retry
            && !token.RetrySourceConnectionId.Span.SequenceEqual(header.DestinationConnectionId))
            token = default;
        switch (_admission.Decide(token))
        {
            case AdmissionDecision.Accept:
                break;
            case AdmissionDecision.SendRetry:
                QueueRetry(now, remote, header);
                return;
            case AdmissionDecision.Refuse:
                QueueInitialClose(remote, header, TransportErrorCode.ConnectionRefused, "the server is busy"u8);
                return;
            case AdmissionDecision.CloseInvalidToken:
                QueueInitialClose(remote, header, TransportErrorCode.InvalidToken, "invalid token"u8);
                return;
            default:
                // Drop: the client's retransmissions act as back-off.
                DroppedDatagrams++;
                return;
        }
        if (header.DestinationConnectionId.Length < 8 && !(token.IsValid && token.Kind == AddressValidationTokenKind.Retry))
        {
            DroppedDatagrams++;
            return;
        }

        var dcid = new ConnectionId(header.DestinationConnectionId);
        var created = new Entry();
        ConnectionId local = _router.IssueConnectionId(created);
        bool retried = token.IsValid && token.Kind == AddressValidationTokenKind.Retry;
        created.Connection = retried
            ? QuicConnectionCore.CreateServer(serverOptions, remote, dcid, now, local, token.OriginalDestinationConnectionId, _qlog, _keyLog)
            : QuicConnectionCore.CreateServer(serverOptions, remote, dcid, now, local, null, _qlog, _keyLog);
        created.LocalIds.Add(local);
        ApplyLocalMaxUdpPayload(created.Connection, remote);
        // Later Initials (and 0-RTT) still carry the client-chosen DCID until the client learns ours.
        if (_router.TryAddInitial(remote, dcid, created))
        {
            created.HasInitialRoute = true;
            created.InitialRemote = remote;
            created.InitialDcid = dcid;
            _initialByDcid.TryAdd(dcid, created);
        }
        created.HandshakeCounted = true;
        _admission.OnHandshakeStarted();
        Track(created);
        created.Connection.HandleDatagramWithEcn(now, remote, null, datagram, ecn);
        Touched(created);
    }

    private void QueueRetry(Instant now, IPEndPoint remote, LongHeader header)
    {
        int length = RetryPacket.GetLength(header.SourceConnectionId.Length, _options.LocalConnectionIdLength, AddressValidationTokenProtector.RetryTokenLength);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        var address = remote.Serialize();
        if (RetryPacketBuilder.TryWriteForInitial(buffer, _protector, now, address, header.Version, header.SourceConnectionId,
                header.DestinationConnectionId, _options.LocalConnectionIdLength, out _, out int written))
        {
            if (Enqueue(buffer, written, remote)) RetriesSent++;
            return;
        }
        ArrayPool<byte>.Shared.Return(buffer);
        DroppedDatagrams++;
    }

    /// <summary>RFC 9000 §10.2.3, §8.1.2: refuse statelessly with CONNECTION_CLOSE in an Initial packet.</summary>
    private void QueueInitialClose(IPEndPoint remote, LongHeader header, TransportErrorCode error, ReadOnlySpan<byte> reason)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(InitialCloseBuilder.MaximumLength);
        if (InitialCloseBuilder.TryWrite(buffer, header.Version, header.DestinationConnectionId, header.SourceConnectionId, error, reason, out int written))
        {
            if (Enqueue(buffer, written, remote)) ConnectionClosesSent++;
            return;
        }
        ArrayPool<byte>.Shared.Return(buffer);
        DroppedDatagrams++;
    }

    private void HandleUnroutedShortHeader(Instant now, IPEndPoint remote, ReadOnlySpan<byte> datagram)
    {
        // A stateless reset from a peer carries random bytes where our CID would be: let the connections with that
        // peer look for their reset tokens (RFC 9000 §10.3.1). Cost: a scan of the connections.
        bool offered = false;
        for (int i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            if (!e.Connection.RemoteEndPoint.Equals(remote)) continue;
            offered = true;
            e.Connection.HandleDatagram(now, remote, datagram);
            MarkReady(e);
            Touched(e);
            if (e.Removed) i--; // removed by its Terminated event
        }
        if (offered) return;
        // RFC 9000 §10.3: an unknown connection ID in a short header gets a (smaller) stateless reset.
        byte[] buffer = ArrayPool<byte>.Shared.Rent(_resetResponder.MaximumResetLength);
        if (_resetResponder.TryWrite(now, datagram, remote, buffer, out int n) == StatelessResetOutcome.Send)
        {
            if (Enqueue(buffer, n, remote)) StatelessResetsSent++;
            return;
        }
        ArrayPool<byte>.Shared.Return(buffer);
        DroppedDatagrams++;
    }

    private bool Enqueue(byte[] rented, int length, IPEndPoint destination)
    {
        if (_stateless.Count >= _options.MaxQueuedStatelessPackets)
        {
            ArrayPool<byte>.Shared.Return(rented);
            DroppedDatagrams++;
            return false;
        }
        _stateless.Enqueue((rented, length, destination));
        return true;
    }

    /// <summary>
    /// Writes the next datagram to send into <paramref name="buffer"/> (at least 1200 bytes, ideally the largest
    /// datagram size) and returns its length; 0 when nothing is to be sent now. Queued stateless packets go first, then
    /// the connections round-robin, one datagram each per turn. <paramref name="earliestSendTime"/> is the pacer's
    /// release time (the driver may hold the datagram until then; stateless packets: <paramref name="now"/>).
    /// Cost: only connections made ready since (a datagram, a timer, creation, <see cref="MarkActive"/>): idle ones are not asked.
    /// </summary>
    public int PollTransmit(Instant now, Span<byte> buffer, out IPEndPoint destination, out Instant earliestSendTime) =>
        PollTransmitWithEcn(now, buffer, out destination, out earliestSendTime, out _);

    /// <summary>
    /// <see cref="PollTransmit"/> that also gives the ECN codepoint
    /// the datagram's IP header must carry (<see cref="TransmitInfo.Ecn"/>: 2 ECT(0) while the connection tests or uses
    /// ECN, else 0; stateless packets 0), for drivers that can mark per datagram (RFC 9000 §13.4).
    /// </summary>
    public int PollTransmitWithEcn(Instant now, Span<byte> buffer, out IPEndPoint destination, out Instant earliestSendTime, out byte ecn)
    {
        int n = PollTransmitInfo(now, buffer, out TransmitInfo info);
        destination = info.Destination;
        earliestSendTime = info.EarliestSendTime;
        ecn = info.Ecn;
        return n;
    }

    /// <summary>
    /// <see cref="PollTransmitWithEcn"/> with the whole <see cref="TransmitInfo"/>: also the local address to send from
    /// (<see cref="TransmitInfo.Source"/>, null: the default socket; a server that moved to its preferred address sends
    /// from there).
    /// </summary>
    public int PollTransmitInfo(Instant now, Span<byte> buffer, out TransmitInfo info)
    {
        Instant earliestSendTime = now;
        if (_stateless.TryDequeue(out var packet))
        {
            int length = packet.Length;
            if (length > buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(packet.Buffer);
                throw new ArgumentException("The buffer is smaller than a stateless packet.", nameof(buffer));
            }
            packet.Buffer.AsSpan(0, length).CopyTo(buffer);
            ArrayPool<byte>.Shared.Return(packet.Buffer);
            info = new TransmitInfo(packet.Destination, earliestSendTime, 0);
            return length;
        }
        // Each ready connection at most once per call; one that sent goes to the back of the queue (one datagram per
        // turn), one that had nothing leaves it until a datagram, a timer or the application makes it ready again.
        for (int turns = _ready.Count; turns > 0 && _ready.TryDequeue(out var entry); turns--)
        {
            if (entry.Removed) { entry.Ready = false; continue; }
            ConnectionPolls++;
            int n = entry.Connection.PollTransmit(now, buffer, out info);
            DrainEvents(entry);
            if (entry.Removed)
            {
                entry.Ready = false;
                if (n > 0) return n; // its last datagram (the entry is gone)
                continue;
            }
            Reschedule(entry);
            if (n > 0)
            {
                _ready.Enqueue(entry);
                return n;
            }
            entry.Ready = false; // a pacer's release time is part of its NextTimeout: the timer makes it ready again
        }
        info = default;
        return 0;
    }

    /// <summary>
    /// <see cref="PollTransmitInfo"/> for a train: writes up to <c>lengths.Length</c> datagrams back to back into
    /// <paramref name="buffer"/> (lengths and transmit information per datagram) and returns how many: a queued
    /// stateless packet alone, or the next ready connection's datagrams from one
    /// <see cref="QuicConnectionCore.PollTransmitBatch"/> call (header protection of all their 1-RTT packets in one
    /// cipher call). Round-robin as <see cref="PollTransmitInfo"/>, one batch per turn. The last datagram may be paced
    /// later than <paramref name="now"/> + <paramref name="releaseHorizon"/>; none before it is.
    /// </summary>
    internal int PollTransmitBatch(Instant now, Span<byte> buffer, Span<int> lengths, Span<TransmitInfo> infos, TimeSpan releaseHorizon)
    {
        if (lengths.IsEmpty) return 0;
        if (_stateless.Count > 0)
        {
            int length = PollTransmitInfo(now, buffer, out infos[0]);
            lengths[0] = length;
            return length > 0 ? 1 : 0;
        }
        for (int turns = _ready.Count; turns > 0 && _ready.TryDequeue(out var entry); turns--)
        {
            if (entry.Removed) { entry.Ready = false; continue; }
            ConnectionPolls++;
            int count = entry.Connection.PollTransmitBatch(now, buffer, lengths, infos, releaseHorizon);
            DrainEvents(entry);
            if (entry.Removed)
            {
                entry.Ready = false;
                if (count > 0) return count; // its last datagrams (the entry is gone)
                continue;
            }
            Reschedule(entry);
            if (count > 0)
            {
                _ready.Enqueue(entry);
                return count;
            }
            entry.Ready = false; // a pacer's release time is part of its NextTimeout: the timer makes it ready again
        }
        return 0;
    }

    /// <summary>
    /// The earliest deadline over all connections (the top of a timer heap: O(log connections) amortized); null for none.
    /// </summary>
    public Instant? NextTimeout()
    {
        while (_timers.TryPeek(out var entry, out Instant deadline))
        {
            if (entry.Removed || !entry.HasTimer || entry.TimerDeadline != deadline) { _timers.Dequeue(); continue; } // stale
            return deadline;
        }
        return null;
    }

    /// <summary>Fires every connection whose deadline is at or before <paramref name="now"/>, earliest first (each once).</summary>
    public void HandleTimeout(Instant now)
    {
        while (_timers.TryPeek(out var entry, out Instant deadline) && deadline <= now)
        {
            _timers.Dequeue();
            if (entry.Removed || !entry.HasTimer || entry.TimerDeadline != deadline) continue; // stale
            entry.HasTimer = false;
            _due.Add(entry);
        }
        for (int i = 0; i < _due.Count; i++)
        {
            var e = _due[i];
            if (e.Removed) continue;
            if (e.Connection.NextTimeout() is { } t && t <= now)
            {
                e.Connection.HandleTimeout(now);
                MarkReady(e);
            }
            Touched(e);
        }
        _due.Clear();
    }

    /// <summary>
    /// The application drove <paramref name="connection"/> directly (stream writes, reads, <c>Close</c>): drains its
    /// events, re-reads its deadline and lets <see cref="PollTransmit"/> ask it for datagrams. O(1); a connection this
    /// endpoint does not track (terminated, or another endpoint's) is ignored.
    /// </summary>
    public void MarkActive(QuicConnectionCore connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (!_byConnection.TryGetValue(connection, out var entry)) return;
        MarkReady(entry);
        Touched(entry);
    }

    /// <summary>
    /// Drains the events of every connection and lets <see cref="PollTransmit"/> ask each of them again, after the
    /// application drove connections without telling which (<see cref="MarkActive"/> is the O(1) form). The endpoint
    /// does this itself in every other call. Cost: a scan of the connections.
    /// </summary>
    public void DrainAllEvents()
    {
        for (int i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            MarkReady(e);
            Touched(e);
            if (e.Removed) i--;
        }
    }

    /// <summary>Test hook: calls of a connection's PollTransmit.</summary>
    internal long ConnectionPolls { get; private set; }

    /// <summary>Test hook: reads of a connection's NextTimeout to reschedule it.</summary>
    internal long ConnectionTimeoutReads { get; private set; }

    /// <summary>Test hook: connections in the ready queue (a removed one counts until it is dequeued).</summary>
    internal int ReadyCount => _ready.Count;

    /// <summary>Test hook: items in the timer heap, stale ones included.</summary>
    internal int TimerItemCount => _timers.Count;

    private void Track(Entry entry)
    {
        entry.Index = _entries.Count;
        _entries.Add(entry);
        _byConnection[entry.Connection] = entry;
        MarkReady(entry);
    }

    private void MarkReady(Entry entry)
    {
        if (entry.Ready || entry.Removed) return;
        entry.Ready = true;
        _ready.Enqueue(entry);
    }

    /// <summary>After any call into the connection: its events, then its deadline.</summary>
    private void Touched(Entry entry)
    {
        DrainEvents(entry);
        if (!entry.Removed) Reschedule(entry);
    }

    /// <summary>Pushes the connection's deadline when it changed (the older item goes stale).</summary>
    private void Reschedule(Entry entry)
    {
        ConnectionTimeoutReads++;
        Instant? next = entry.Connection.NextTimeout();
        if (next is not { } t)
        {
            entry.HasTimer = false;
            return;
        }
        if (entry.HasTimer && entry.TimerDeadline == t) return;
        entry.HasTimer = true;
        entry.TimerDeadline = t;
        _timers.Enqueue(entry, t);
        // Deadlines that move later leave stale items deep in the heap: rebuild when they outnumber the live ones.
        if (_timers.Count > 2 * _entries.Count + 1024) CompactTimers();
    }

    private void CompactTimers()
    {
        _timers.Clear();
        foreach (var e in _entries)
            if (e.HasTimer && !e.Removed) _timers.Enqueue(e, e.TimerDeadline);
    }

    /// <summary>
    /// Graceful shutdown: closes every connection with <paramref name="errorCode"/> and admits no new ones. Keep driving
    /// the endpoint until <see cref="IsShutdownComplete"/> (every connection's closing or draining period is over).
    /// </summary>
    public void Shutdown(ulong errorCode = 0, string? reason = null)
    {
        _shuttingDown = true;
        for (int i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            e.Connection.Close(errorCode, reason);
            MarkReady(e);
            Touched(e);
            if (e.Removed) i--;
        }
    }

    private void DrainEvents(Entry entry)
    {
        var connection = entry.Connection;
        while (connection.PollEvent(out ConnectionEvent e))
        {
            switch (e.Kind)
            {
                case ConnectionEventKind.ConnectionIdIssued:
                    if (!entry.Removed && _router.TryAdd(e.ConnectionId, entry)) entry.LocalIds.Add(e.ConnectionId);
                    break;
                case ConnectionEventKind.ConnectionIdRetired:
                    if (entry.LocalIds.Remove(e.ConnectionId)) _router.Remove(e.ConnectionId);
                    break;
                case ConnectionEventKind.HalfRttReady when _options.AcceptBeforeHandshakeCompletes:
                case ConnectionEventKind.HandshakeCompleted:
                    // With AcceptBeforeHandshakeCompletes the connection counts as accepted-able after its first flight.
                    if (connection.IsServer && entry.HandshakeCounted)
                    {
                        entry.HandshakeCounted = false;
                        _admission.OnHandshakeCompleted();
                        entry.PendingAccept = true;
                        _acceptQueue.Enqueue(entry);
                    }
                    break;
                case ConnectionEventKind.HandshakeConfirmed:
                    RemoveInitialRoute(entry);
                    break;
                case ConnectionEventKind.Terminated:
                    Remove(entry);
                    break;
            }
            _events.Enqueue((connection, e));
        }
    }

    private void RemoveInitialRoute(Entry entry)
    {
        if (!entry.HasInitialRoute) return;
        entry.HasInitialRoute = false;
        _router.RemoveInitial(entry.InitialRemote!, entry.InitialDcid);
        if (_initialByDcid.TryGetValue(entry.InitialDcid, out Entry? owner) && owner == entry) _initialByDcid.Remove(entry.InitialDcid);
    }

    private void Remove(Entry entry)
    {
        if (entry.Removed) return;
        entry.Removed = true;
        entry.HasTimer = false; // its heap item is stale now; a Ready flag is cleared when PollTransmit dequeues it
        _byConnection.Remove(entry.Connection);
        RemoveInitialRoute(entry);
        foreach (var id in entry.LocalIds) _router.Remove(id);
        entry.LocalIds.Clear();
        if (entry.HandshakeCounted) { entry.HandshakeCounted = false; _admission.OnHandshakeFailed(); }
        if (entry.PendingAccept) { entry.PendingAccept = false; _admission.OnUnacceptedConnectionClosed(); }
        // A server connection the application never accepted has no other owner.
        if (entry.Connection.IsServer && !entry.Accepted) entry.Connection.Dispose();
        // Swap with the last: O(1), the order of _entries does not matter (PollTransmit serves _ready).
        int index = entry.Index;
        if (index >= 0)
        {
            int last = _entries.Count - 1;
            var moved = _entries[last];
            _entries[index] = moved;
            moved.Index = index;
            _entries.RemoveAt(last);
            entry.Index = -1;
        }
    }

    private void PrepareConnectionOptions(ConnectionOptions options, string paramName)
    {
        if (options.ConnectionIdLength != _options.LocalConnectionIdLength)
            throw new ArgumentException($"ConnectionOptions.ConnectionIdLength ({options.ConnectionIdLength}) must equal the endpoint's LocalConnectionIdLength ({_options.LocalConnectionIdLength}): short headers are routed by it.", paramName);
        if (options.StatelessResetTokenGenerator is null)
        {
            var tokens = _resetTokens;
            options.StatelessResetTokenGenerator = cid =>
            {
                var token = new byte[16];
                tokens.WriteToken(cid.Span, token);
                return token;
            };
        }
    }

    /// <summary>Disposes every tracked connection and the queued packets (no close is sent: use <see cref="Shutdown"/> first).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var e in _entries) e.Connection.Dispose();
        _entries.Clear();
        _byConnection.Clear();
        _ready.Clear();
        _timers.Clear();
        while (_stateless.TryDequeue(out var p)) ArrayPool<byte>.Shared.Return(p.Buffer);
        if (_ownsProtector) _protector.Dispose();
    }
}
