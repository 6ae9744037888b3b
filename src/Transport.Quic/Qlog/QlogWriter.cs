using System.Net;
using System.Net.Sockets;
using System.Text.Encodings.Web;
using System.Text.Json;
using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Packets;
using Transport.Quic.Parameters;
using Transport.Reliable;
using Transport.Reliable.Congestion;

namespace Transport.Quic.Qlog;

/// <summary>
/// Writes one connection's qlog trace as JSON Text Sequences (RFC 7464: each record is 0x1E, one JSON object, 0x0A),
/// for qvis (https://qvis.quictools.info) and other qlog tools.
/// </summary>
/// <remarks>
/// <para>
/// <b>Version.</b> The writer speaks qlog <c>"0.3"</c>: draft-ietf-quic-qlog-main-schema-03 with
/// draft-ietf-quic-qlog-quic-events-02 (both July 2022), in the <c>"JSON-SEQ"</c> format those drafts define. Later
/// drafts renamed nearly everything (<c>quic:packet_sent</c>, <c>file_schema</c>, <c>serialization_format</c>); 0.3 with
/// the <c>transport:</c>, <c>recovery:</c>, <c>security:</c> and <c>connectivity:</c> categories is what qvis reads
/// (its loader, as of October 2025, accepts <c>qlog_version</c> "draft-02" and "0.3" only, and draws packet sizes from
/// <c>raw.length</c> and the congestion graph from <c>recovery:metrics_updated</c>) and what most deployed stacks in
/// the QUIC interop runner write, so every name here follows those two drafts. Where they lack something, a later draft's spelling is used and the code says so: the
/// <c>datagram</c> frame and the error names <c>key_update_error</c>, <c>aead_limit_reached</c> and
/// <c>no_viable_path</c>. <c>security:key_updated</c> never logs key material (its <c>new</c> field is left out).
/// </para>
/// <para>
/// <b>Records.</b> The first record is the header (<c>qlog_version</c>, <c>qlog_format</c>, <c>trace</c> with
/// <c>vantage_point</c> and <c>common_fields</c>: <c>protocol_type</c> <c>["QUIC"]</c>, <c>group_id</c> the original
/// destination connection ID in hex, <c>time_format</c> <c>"relative"</c> and <c>reference_time</c> in Unix
/// milliseconds). Each event is <c>{"time": ms, "name": "category:type", "data": {...}}</c>, where time is milliseconds
/// (fractional, 100 ns resolution) since the reference instant. Times never decrease: an instant earlier than the
/// previous event's is logged at the previous event's time, so tools that expect sorted traces can read the file.
/// </para>
/// <para>
/// <b>Cost.</b> Records are serialized with <see cref="Utf8JsonWriter"/> into a reused buffer and handed to the stream
/// when 32 KiB have gathered, on <see cref="Flush"/>, on <c>connectivity:connection_closed</c> and on
/// <see cref="Dispose"/>; in steady state an event allocates nothing. <see cref="Null"/> (and any writer once disabled)
/// returns from every method at its first branch.
/// </para>
/// <para>
/// <b>Failures.</b> Logging never breaks a connection: an exception from the stream (disk full, file removed,
/// permissions) or from serialization disables the writer, records the exception in <see cref="Failure"/>, and every
/// later call returns at once. No method throws, except for arguments that are plainly wrong.
/// </para>
/// <para>
/// <b>Threads.</b> Not thread-safe. A connection is a single-threaded state machine and owns its writer; call it only
/// from the thread that drives the connection.
/// </para>
/// </remarks>
public sealed class QlogWriter : IDisposable
{
    /// <summary>The <c>qlog_version</c> written in the header: qlog 0.3 (draft-ietf-quic-qlog-main-schema-03).</summary>
    public const string QlogVersion = "0.3";

    /// <summary>The <c>qlog_format</c> written in the header (main schema -03, JSON Text Sequences mapping).</summary>
    public const string QlogFormat = "JSON-SEQ";

    /// <summary>The file extension for JSON-SEQ qlog files (main schema -03): <c>.sqlog</c>.</summary>
    public const string FileExtension = ".sqlog";

    /// <summary>The record separator that starts every JSON-SEQ record (RFC 7464 §2).</summary>
    public const byte RecordSeparator = 0x1E;

    /// <summary>The line feed that ends every JSON-SEQ record (RFC 7464 §2).</summary>
    public const byte LineFeed = 0x0A;

    private const int FlushThreshold = 32 * 1024;

    private static readonly JsonWriterOptions JsonOptions = new()
    {
        Indented = false,
        // qlog files are read by tools, not embedded in HTML: keep reason phrases and names readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly Stream? _stream;
    private readonly bool _leaveOpen;
    private readonly QlogBuffer? _buffer;
    private readonly Utf8JsonWriter? _json;
    private readonly Instant _reference;
    private long _lastTicks;
    private bool _disposed;

    // Last values logged by recovery:metrics_updated, so that only changes are written (quic-events-02 SHOULD).
    private long _minRtt = -1, _smoothedRtt = -1, _latestRtt = -1, _rttVariance = -1;
    private long? _congestionWindow, _bytesInFlight, _ssthresh, _pacingRate, _packetsInFlight;
    private int? _ptoCount;

    private QlogWriter()
    {
        Frames = QlogFrameList.CreateDisabled();
    }

    /// <summary>
    /// Starts a trace on <paramref name="stream"/> and writes its header record (to the buffer; it reaches the stream
    /// with the first flush).
    /// </summary>
    /// <param name="stream">Where the records go; must be writable.</param>
    /// <param name="vantagePoint">Whether this endpoint is the connection's client or server.</param>
    /// <param name="originalDestinationConnectionId">The client's first Destination Connection ID: the trace's group_id.</param>
    /// <param name="referenceTime">The instant that event time 0 stands for (usually when the connection was created).</param>
    /// <param name="referenceWallClock">The wall-clock time at <paramref name="referenceTime"/>, written as
    /// <c>reference_time</c> in Unix milliseconds; now when null.</param>
    /// <param name="leaveOpen">True to leave <paramref name="stream"/> open on <see cref="Dispose"/>.</param>
    /// <param name="title">An optional <c>title</c> for the header.</param>
    /// <param name="vantagePointName">The <c>vantage_point.name</c>; null leaves it out.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not writable.</exception>
    public QlogWriter(
        Stream stream,
        QlogVantagePoint vantagePoint,
        ConnectionId originalDestinationConnectionId,
        Instant referenceTime,
        DateTimeOffset? referenceWallClock = null,
        bool leaveOpen = false,
        string? title = null,
        string? vantagePointName = "Transport")
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite) throw new ArgumentException("The qlog stream must be writable.", nameof(stream));
        _stream = stream;
        _leaveOpen = leaveOpen;
        _buffer = new QlogBuffer(FlushThreshold + 4096);
        _json = new Utf8JsonWriter(_buffer, JsonOptions);
        _reference = referenceTime;
        VantagePoint = vantagePoint;
        OriginalDestinationConnectionId = originalDestinationConnectionId;
        Frames = new QlogFrameList();
        IsEnabled = true;
        WriteHeader(vantagePoint, originalDestinationConnectionId, referenceWallClock ?? DateTimeOffset.UtcNow, title, vantagePointName);
    }

    /// <summary>
    /// A writer that writes nothing and costs one branch per call: the writer of connections without qlog. It holds no
    /// state, so one instance serves every connection on every thread.
    /// </summary>
    public static QlogWriter Null { get; } = new();

    /// <summary>True while events are being written; false for <see cref="Null"/> and once the writer failed or was disposed.</summary>
    public bool IsEnabled { get; private set; }

    /// <summary>The exception that disabled the writer, or null.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>The trace's vantage point (<see cref="QlogVantagePoint.Client"/> for <see cref="Null"/>).</summary>
    public QlogVantagePoint VantagePoint { get; }

    /// <summary>The original destination connection ID, the trace's <c>group_id</c> (empty for <see cref="Null"/>).</summary>
    public ConnectionId OriginalDestinationConnectionId { get; }

    /// <summary>Bytes handed to the stream so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>
    /// A frame list the connection may reuse for every packet event: fill it, pass it to <see cref="PacketSent"/>,
    /// <see cref="PacketReceived"/> or <see cref="PacketLost(Instant, PacketType, ulong, QlogPacketLostTrigger, QlogFrameList?)"/>,
    /// which clear it. The list of a disabled writer ignores every call.
    /// </summary>
    public QlogFrameList Frames { get; }

    // ---------------------------------------------------------------- connectivity

    /// <summary>
    /// <c>connectivity:connection_started</c>: the connection's addresses and connection IDs, from this endpoint's view
    /// (<c>src</c> is local, <c>dst</c> the peer). Addresses the sans-I/O connection does not know may be null.
    /// </summary>
    public void ConnectionStarted(Instant time, IPEndPoint? localEndPoint, IPEndPoint? remoteEndPoint,
        ConnectionId sourceConnectionId, ConnectionId destinationConnectionId)
    {
        if (!IsEnabled) return;
        int start = BeginEvent(time, QlogNames.ValueConnectivityConnectionStarted);
        try
        {
            var json = _json!;
            var family = (localEndPoint ?? remoteEndPoint)?.AddressFamily;
            if (family is not null)
                json.WriteString(QlogNames.IpVersion, family == AddressFamily.InterNetworkV6 ? QlogNames.ValueV6 : QlogNames.ValueV4);
            if (localEndPoint is not null) WriteAddress(json, QlogNames.SrcIp, localEndPoint.Address);
            if (remoteEndPoint is not null) WriteAddress(json, QlogNames.DstIp, remoteEndPoint.Address);
            json.WriteString(QlogNames.Protocol, QlogNames.ValueQUIC);
            if (localEndPoint is not null) json.WriteNumber(QlogNames.SrcPort, localEndPoint.Port);
            if (remoteEndPoint is not null) json.WriteNumber(QlogNames.DstPort, remoteEndPoint.Port);
            QlogFrameSerializer.WriteConnectionId(json, QlogNames.SrcCid, sourceConnectionId);
            QlogFrameSerializer.WriteConnectionId(json, QlogNames.DstCid, destinationConnectionId);
            EndEvent();
        }
        catch (Exception e) { Fail(e, start); }
    }

    /// <summary><c>connectivity:connection_state_updated</c>.</summary>
    public void ConnectionStateUpdated(Instant time, QlogConnectionState? oldState, QlogConnectionState newState)
    {
        if (!IsEnabled) return;
        int start = BeginEvent(time, QlogNames.ValueConnectivityConnectionStateUpdated);
        try
        {
            if (oldState is { } o) _json!.WriteString(QlogNames.Old, ConnectionStateName(o));
            _json!.WriteString(QlogNames.New, ConnectionStateName(newState));
            EndEvent();
        }
        catch (Exception e) { Fail(e, start); }
    }

    /// <summary>
    /// <c>connectivity:connection_id_updated</c>: the connection ID this endpoint (<see cref="QlogOwner.Local"/>, its
    /// source CID) or the peer (<see cref="QlogOwner.Remote"/>, the destination CID used) puts in packets changed.
    /// </summary>
    public void ConnectionIdUpdated(Instant time, QlogOwner owner, ConnectionId? oldConnectionId, ConnectionId newConnectionId)
    {
        if (!IsEnabled) return;
        int start = BeginEvent(time, QlogNames.ValueConnectivityConnectionIdUpdated);
        try
        {
            var json = _json!;
            json.WriteString(QlogNames.Owner, OwnerName(owner));
            if (oldConnectionId is { } o) QlogFrameSerializer.WriteConnectionId(json, QlogNames.Old, o);
            QlogFrameSerializer.WriteConnectionId(json, QlogNames.New, newConnectionId);
            EndEvent();
        }
        catch (Exception e) { Fail(e, start); }
    }

    /// <summary>
    /// <c>connectivity:connection_closed</c>, then a flush, so the file is complete even if the writer is never disposed.
    /// </summary>
    /// <param name="time">When the connection closed.</param>
    /// <param name="owner">Who closed it (null when neither, e.g. an idle timeout).</param>
    /// <param name="transportErrorCode">The transport error code (RFC 9000 §20.1) of a CONNECTION_CLOSE of type 0x1c,
    /// logged as its qlog name (<c>"protocol_violation"</c>, <c>"crypto_error_0x12a"</c>).</param>
    /// <param name="applicationErrorCode">The application error code of a CONNECTION_CLOSE of type 0x1d.</param>
    /// <param name="reason">The reason phrase or a description of what happened.</param>
    /// <param name="trigger">How the connection ended.</param>
    public void ConnectionClosed(Instant time, QlogOwner? owner, ulong? transportErrorCode, ulong? applicationErrorCode,
        string? reason, QlogConnectionCloseTrigger trigger = QlogConnectionCloseTrigger.None)
    {
        if (!IsEnabled) return;
        int start = BeginEvent(time, QlogNames.ValueConnectivityConnectionClosed);
        try
        {
            var json = _json!;
            if (owner is { } o) json.WriteString(QlogNames.Owner, OwnerName(o));
            if (transportErrorCode is { } t) QlogFrameSerializer.WriteTransportError(json, QlogNames.ConnectionCode, t);
            if (applicationErrorCode is { } a) json.WriteNumber(QlogNames.ApplicationCode, a);
            if (!string.IsNullOrEmpty(reason)) json.WriteString(QlogNames.Reason, reason);
            if (trigger != QlogConnectionCloseTrigger.None) json.WriteString(QlogNames.Trigger, CloseTriggerName(trigger));
            EndEvent();
        }
        catch (Exception e) { Fail(e, start); return; }
        Flush();
    }

    // ---------------------------------------------------------------- transport

    /// <summary>
    /// <c>transport:version_information</c>: the version in use and, when known, the versions each side offered.
    /// </summary>
    public void VersionInformation(Instant time, uint chosenVersion, ReadOnlySpan<uint> clientVersions = default,
        ReadOnlySpan<uint> serverVersions = default)
    {
        if (!IsEnabled) return;
        int start = BeginEvent(time, QlogNames.ValueTransportVersionInformation);
        try
        {
            var json = _json!;
            if (!serverVersions.IsEmpty) WriteVersions(json, QlogNames.ServerVersions, serverVersions);
            if (!clientVersions.IsEmpty) WriteVersions(json, QlogNames.ClientVersions, clientVersions);
            json.WritePropertyName(QlogNames.ChosenVersion);
            QlogFrameSerializer.WriteVersionValue(json, chosenVersion);
            EndEvent();
        }
        catch (Exception e) { Fail(e, start); }
    }

    /// <summary>
    /// <c>transport:alpn_information</c>: the application protocols offered by each side (when known) and the one
    /// chosen (null when none matched).
    /// </summary>
    public void AlpnInformation(Instant time, IReadOnlyList<string>? clientAlpns, IReadOnlyList<string>? serverAlpns, string? chosenAlpn)
    {
        if (!IsEnabled) return;
        int start = BeginEvent(time, QlogNames.ValueTransportAlpnInformation);
        try
        {
            var json = _json!;
            if (serverAlpns is not null) WriteStrings(json, QlogNames.ServerAlpns, serverAlpns);
            if (clientAlpns is not null) WriteStrings(json, QlogNames.ClientAlpns, clientAlpns);
            if (chosenAlpn is not null) json.WriteString(QlogNames.ChosenAlpn, chosenAlpn);
            EndEvent();
        }
        catch (Exception e) { Fail(e, start); }
    }

    /// <summary>
    /// <c>transport:parameters_set</c>: this endpoint's (<see cref="QlogOwner.Local"/>) or the peer's
    /// (<see cref="QlogOwner.Remote"/>) transport parameters (RFC 9000 §18.2), and the negotiated TLS cipher when given.
    /// Durations are in milliseconds as in the transport parameters; <c>max_datagram_frame_size</c> (RFC 9221) is an
    /// extra field, which the draft allows.
    /// </summary>
    public void ParametersSet(Instant time, QlogOwner owner, TransportParameters? parameters, CipherSuite? tlsCipher = null)
    {
        if (!IsEnabled) return;
        int start = BeginEvent(time, QlogNames.ValueTransportParametersSet);
        try
        {
            var json = _json!;
            json.WriteString(QlogNames.Owner, OwnerName(owner));
            if (tlsCipher is { } cipher)
            {
                json.WriteString(QlogNames.TlsCipher, CipherName(cipher));
                json.WriteNumber(QlogNames.AeadTagLength, 16); // all three QUIC v1 AEADs have 16-byte tags (RFC 9001 §5.3)
            }
            if (parameters is not null) WriteTransportParameters(json, parameters);
            EndEvent();
        }
        catch (Exception e) { Fail(e, start); }
    }

    /// <summary>
    /// <c>transport:packet_sent</c>. <paramref name="length"/> is the whole packet on the wire (header, payload, AEAD
    /// tag), logged as <c>raw.length</c>; <paramref name="frames"/> (cleared afterwards) becomes the <c>frames</c> array.
    /// Connection IDs go into the header only when given (long-header packets, or after a change of CID).
    /// </summary>
    public void PacketSent(Instant time, PacketType packetType, ulong packetNumber, int length, QlogFrameList? frames = null,
        QlogPacketSentTrigger trigger = QlogPacketSentTrigger.None, bool isCoalesced = false,
        ConnectionId? sourceConnectionId = null, ConnectionId? destinationConnectionId = null)
    {
        if (!IsEnabled) { frames?.Clear(); return; }
        int start = BeginEvent(time, QlogNames.ValueTransportPacketSent);
        try
        {
            var json = _json!;
            WritePacketHeader(json, packetType, packetNumber, sourceConnectionId, destinationConnectionId);
            if (frames is not null) QlogFrameSerializer.WriteFrames(json, frames);
            if (isCoalesced) json.WriteBoolean(QlogNames.IsCoalesced, true);
            WriteRaw(json, length);
            if (trigger != QlogPacketSentTrigger.None) json.WriteString(QlogNames.Trigger, SentTriggerName(trigger));
            EndEvent();
        }
        catch (Exception e) { Fail(e, start); }
        frames?.Clear();
    }

    /// <summary>
    /// <c>transport:packet_received</c>, shaped like <see cref="PacketSent"/>. <paramref name="wasBuffered"/> logs the
    /// trigger <c>"keys_available"</c>: the packet waited for keys before it could be decrypted.
    /// </summary>
    public void PacketReceived(Instant time, PacketType packetType, ulong packetNumber, int length, QlogFrameList? frames = null,
        bool wasBuffered = false, bool isCoalesced = false,
        ConnectionId? sourceConnectionId = null, ConnectionId? destinationConnectionId = null)
    {
        if (!IsEnabled) { frames?.Clear(); return; }
        int start = BeginEvent(time, QlogNames.ValueTransportPacketReceived);
        try
        {
            var json = _json!;
            WritePacketHeader(json, packetType, packetNumber, sourceConnectionId, destinationConnectionId);
            if (frames is not null) QlogFrameSerializer.WriteFrames(json, frames);
            if (isCoalesced) json.WriteBoolean(QlogNames.IsCoalesced, true);
            WriteRaw(json, length);
            if (wasBuffered) json.WriteString(QlogNames.Trigger, QlogNames.ValueKeysAvailable);
            EndEvent();
        }
        catch (Exception e) { Fail(e, start); }
        frames?.Clear();
    }

    /// <summary>
    /// <c>transport:packet_dropped</c>: a packet discarded before or during parsing. <paramref name="packetType"/> is
    /// null when even the type could not be read (logged as <c>"unknown"</c>); <paramref name="length"/> is its size.
    /// </summary>
    public void PacketDropped(Instant time, PacketType? packetType, int length, QlogPacketDropReason reason,
        ulong? packetNumber = null)
    {
        if (!IsEnabled) return;
        int start = BeginEvent(time, QlogNames.ValueTransportPacketDropped);
        try
        {
            var json = _json!;
            json.WriteStartObject(QlogNames.Header);
            json.WriteString(QlogNames.PacketType, packetType is { } t ? PacketTypeName(t) : QlogNames.ValueUnknown);
            if (packetNumber is { } pn) json.WriteNumber(QlogNames.PacketNumber, pn);
            json.WriteEndObject();
            WriteRaw(json, length);
            if (reason != QlogPacketDropReason.None) json.WriteString(QlogNames.Trigger, DropReasonName(reason));
            EndEvent();
        }
        catch (Exception e) { Fail(e, start); }
    }

    /// <summary>
    /// <c>transport:packet_buffered</c>: a packet kept until its keys arrive (trigger <c>"keys_unavailable"</c>).
    /// </summary>
    public void PacketBuffered(Instant time, PacketType packetType, int length)
    {
        if (!IsEnabled) return;
        int start = BeginEvent(time, QlogNames.ValueTransportPacketBuffered);
        try
        {
            var json = _json!;
            json.WriteStartObject(QlogNames.Header);
            json.WriteString(QlogNames.PacketType, PacketTypeName(packetType));
            json.WriteEndObject();
            WriteRaw(json, length);
            json.WriteString(QlogNames.Trigger, QlogNames.ValueKeysUnavailable);
            EndEvent();
        }
        catch (Exception e) { Fail(e, start); }
    }

    // ---------------------------------------------------------------- recovery

    /// <summary>
    /// <c>recovery:packet_lost</c>: loss detection declared a sent packet lost. The frames it carried may be given
    /// (the list is cleared afterwards).
    /// </summary>
    public void PacketLost(Instant time, PacketType packetType, ulong packetNumber, QlogPacketLostTrigger trigger,
        QlogFrameList? frames = null)
    {
        if (!IsEnabled) { frames?.Clear(); return; }
        int start = BeginEvent(time, QlogNames.ValueRecoveryPacketLost);
        try
        {
            var json = _json!;
            WritePacketHeader(json, packetType, packetNumber, null, null);
            if (frames is not null) QlogFrameSerializer.WriteFrames(json, frames);
            if (trigger != QlogPacketLostTrigger.None) json.WriteString(QlogNames.Trigger, LostTriggerName(trigger));
            EndEvent();
        }
        catch (Exception e) { Fail(e, start); }
        frames?.Clear();
    }

    /// <summary>
    /// <c>recovery:packet_lost</c> by packet number space: Initial and Handshake map to their packet types,
    /// ApplicationData to <c>"1RTT"</c> (use the <see cref="PacketType"/> overload for a lost 0-RTT packet).
    /// </summary>
    public void PacketLost(Instant time, PacketNumberSpace space, ulong packetNumber, QlogPacketLostTrigger trigger,
        QlogFrameList? frames = null)
    {
        var type = space switch
        {
            PacketNumberSpace.Initial => PacketType.Initial,
            PacketNumberSpace.Handshake => PacketType.Handshake,
            _ => PacketType.OneRtt,
        };
        PacketLost(time, type, packetNumber, trigger, frames);
    }

    /// <summary>
    /// <c>recovery:metrics_updated</c>. Pass every value the recovery state has, as often as convenient (say after each
    /// ACK): the writer logs only the values that changed since the last event and writes nothing when none did, as
    /// the draft recommends. RTTs are logged in milliseconds and windows in bytes (the types of
    /// <c>RttEstimator</c>, <c>LossDetector</c> and <c>ICongestionController</c>); the pacing rate is given in bytes
    /// per second, as <c>ICongestionController.PacingRate</c> has it, and logged in bits per second as qlog wants. An
    /// <paramref name="ssthresh"/> of <see cref="long.MaxValue"/> (no threshold yet) is not logged.
    /// </summary>
    public void MetricsUpdated(Instant time, TimeSpan? minRtt = null, TimeSpan? smoothedRtt = null, TimeSpan? latestRtt = null,
        TimeSpan? rttVariance = null, long? congestionWindow = null, long? bytesInFlight = null, long? ssthresh = null,
        double? pacingRateBytesPerSecond = null, int? ptoCount = null, long? packetsInFlight = null)
    {
        if (!IsEnabled) return;
        if (ssthresh == long.MaxValue) ssthresh = null;
        long? pacingRate = pacingRateBytesPerSecond is { } bytesPerSecond && double.IsFinite(bytesPerSecond)
            ? (long)Math.Min(Math.Round(Math.Max(0, bytesPerSecond) * 8), long.MaxValue)
            : null;
        bool minChanged = Changed(minRtt, _minRtt), smoothedChanged = Changed(smoothedRtt, _smoothedRtt),
            latestChanged = Changed(latestRtt, _latestRtt), varianceChanged = Changed(rttVariance, _rttVariance),
            cwndChanged = Changed(congestionWindow, _congestionWindow), inFlightChanged = Changed(bytesInFlight, _bytesInFlight),
            ssthreshChanged = Changed(ssthresh, _ssthresh), pacingChanged = Changed(pacingRate, _pacingRate),
            ptoChanged = ptoCount is { } p && p != _ptoCount, packetsChanged = Changed(packetsInFlight, _packetsInFlight);
        if (!(minChanged || smoothedChanged || latestChanged || varianceChanged || cwndChanged || inFlightChanged
              || ssthreshChanged || pacingChanged || ptoChanged || packetsChanged))
            return;

        int start = BeginEvent(time, QlogNames.ValueRecoveryMetricsUpdated);
        try
        {
            var json = _json!;
            if (minChanged) json.WriteNumber(QlogNames.MinRtt, Milliseconds(minRtt!.Value));
            if (smoothedChanged) json.WriteNumber(QlogNames.SmoothedRtt, Milliseconds(smoothedRtt!.Value));
            if (latestChanged) json.WriteNumber(QlogNames.LatestRtt, Milliseconds(latestRtt!.Value));
            if (varianceChanged) json.WriteNumber(QlogNames.RttVariance, Milliseconds(rttVariance!.Value));
            if (ptoChanged) json.WriteNumber(QlogNames.PtoCount, ptoCount!.Value);
            if (cwndChanged) json.WriteNumber(QlogNames.CongestionWindow, congestionWindow!.Value);
            if (inFlightChanged) json.WriteNumber(QlogNames.BytesInFlight, bytesInFlight!.Value);
            if (ssthreshChanged) json.WriteNumber(QlogNames.Ssthresh, ssthresh!.Value);
            if (packetsChanged) json.WriteNumber(QlogNames.PacketsInFlight, packetsInFlight!.Value);
            if (pacingChanged) json.WriteNumber(QlogNames.PacingRate, pacingRate!.Value);
            EndEvent();
        }
        catch (Exception e) { Fail(e, start); return; }

        if (minChanged) _minRtt = minRtt!.Value.Ticks;
        if (smoothedChanged) _smoothedRtt = smoothedRtt!.Value.Ticks;
        if (latestChanged) _latestRtt = latestRtt!.Value.Ticks;
        if (varianceChanged) _rttVariance = rttVariance!.Value.Ticks;
        if (ptoChanged) _ptoCount = ptoCount;
        if (cwndChanged) _congestionWindow = congestionWindow;
        if (inFlightChanged) _bytesInFlight = bytesInFlight;
        if (ssthreshChanged) _ssthresh = ssthresh;
        if (packetsChanged) _packetsInFlight = packetsInFlight;
        if (pacingChanged) _pacingRate = pacingRate;
    }

    /// <summary>
    /// <c>recovery:congestion_state_updated</c>, states spelled in snake case (<c>"slow_start"</c>,
    /// <c>"congestion_avoidance"</c>, <c>"recovery"</c>, BBR's <c>"startup"</c>, <c>"probe_bw_up"</c>, ...).
    /// </summary>
    public void CongestionStateUpdated(Instant time, CongestionState? oldState, CongestionState newState,
        QlogCongestionStateTrigger trigger = QlogCongestionStateTrigger.None)
    {
        if (!IsEnabled) return;
        int start = BeginEvent(time, QlogNames.ValueRecoveryCongestionStateUpdated);
        try
        {
            var json = _json!;
            if (oldState is { } o) json.WriteString(QlogNames.Old, CongestionStateName(o));
            json.WriteString(QlogNames.New, CongestionStateName(newState));
            if (trigger != QlogCongestionStateTrigger.None)
                json.WriteString(QlogNames.Trigger, trigger == QlogCongestionStateTrigger.Ecn ? "ECN" : "persistent_congestion");
            EndEvent();
        }
        catch (Exception e) { Fail(e, start); }
    }

    // ---------------------------------------------------------------- security

    /// <summary>
    /// <c>security:key_updated</c>: new keys for <paramref name="keyType"/> were installed. <paramref name="generation"/>
    /// is the 1-RTT key phase generation (0 for the first 1-RTT keys). Key material is never logged.
    /// </summary>
    public void KeyUpdated(Instant time, QlogKeyType keyType, QlogKeyUpdateTrigger trigger, uint? generation = null) =>
        WriteKeyEvent(QlogNames.ValueSecurityKeyUpdated, time, keyType, trigger, generation);

    /// <summary><c>security:key_retired</c>: keys for <paramref name="keyType"/> were discarded (RFC 9001 §4.9, §6.5).</summary>
    public void KeyRetired(Instant time, QlogKeyType keyType, QlogKeyUpdateTrigger trigger, uint? generation = null) =>
        WriteKeyEvent(QlogNames.ValueSecurityKeyRetired, time, keyType, trigger, generation);

    /// <summary>The <see cref="QlogKeyType"/> of one side's secret at an encryption level.</summary>
    public static QlogKeyType KeyTypeOf(EncryptionLevel level, bool serverSecret) => level switch
    {
        EncryptionLevel.Initial => serverSecret ? QlogKeyType.ServerInitialSecret : QlogKeyType.ClientInitialSecret,
        EncryptionLevel.ZeroRtt => serverSecret ? QlogKeyType.Server0RttSecret : QlogKeyType.Client0RttSecret,
        EncryptionLevel.Handshake => serverSecret ? QlogKeyType.ServerHandshakeSecret : QlogKeyType.ClientHandshakeSecret,
        EncryptionLevel.OneRtt => serverSecret ? QlogKeyType.Server1RttSecret : QlogKeyType.Client1RttSecret,
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "Not an encryption level."),
    };

    /// <summary>The packet type that carries an encryption level's packets (RFC 9000 §17; RFC 9001 §4.1.4).</summary>
    public static PacketType PacketTypeOf(EncryptionLevel level) => level switch
    {
        EncryptionLevel.Initial => PacketType.Initial,
        EncryptionLevel.ZeroRtt => PacketType.ZeroRtt,
        EncryptionLevel.Handshake => PacketType.Handshake,
        EncryptionLevel.OneRtt => PacketType.OneRtt,
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "Not an encryption level."),
    };

    // ---------------------------------------------------------------- output

    /// <summary>Hands every complete record to the stream and flushes it. Never throws; a failure disables the writer.</summary>
    public void Flush()
    {
        if (!IsEnabled) return;
        WriteOut(flushStream: true);
    }

    /// <summary>Flushes, then closes the stream unless it was opened with leaveOpen. Never throws.</summary>
    public void Dispose()
    {
        if (_disposed || _stream is null) return;
        _disposed = true;
        if (IsEnabled) WriteOut(flushStream: true);
        IsEnabled = false;
        Frames.Disable();
        if (!_leaveOpen)
        {
            try { _stream.Dispose(); }
            catch (Exception e) { Failure ??= e; }
        }
    }

    // ---------------------------------------------------------------- internals

    private void WriteHeader(QlogVantagePoint vantagePoint, ConnectionId odcid, DateTimeOffset referenceWallClock,
        string? title, string? vantagePointName)
    {
        int start = 0;
        try
        {
            var json = _json!;
            _buffer!.WriteByte(RecordSeparator);
            json.Reset(_buffer);
            json.WriteStartObject();
            // main schema -03: qlog_version and qlog_format SHOULD be in the first 256 bytes of the file.
            json.WriteString(QlogNames.QlogVersion, QlogNames.ValueV03);
            json.WriteString(QlogNames.QlogFormat, QlogNames.ValueJSONSEQ);
            if (title is not null) json.WriteString(QlogNames.Title, title);
            json.WriteStartObject(QlogNames.Trace);
            json.WriteStartObject(QlogNames.CommonFields);
            json.WriteStartArray(QlogNames.ProtocolType);
            json.WriteStringValue(QlogNames.ValueQUIC);
            json.WriteEndArray();
            QlogFrameSerializer.WriteConnectionId(json, QlogNames.GroupId, odcid);
            json.WriteString(QlogNames.TimeFormat, QlogNames.ValueRelative);
            json.WriteNumber(QlogNames.ReferenceTime, referenceWallClock.ToUnixTimeMilliseconds());
            json.WriteEndObject();
            json.WriteStartObject(QlogNames.VantagePoint);
            if (vantagePointName is not null) json.WriteString(QlogNames.Name, vantagePointName);
            json.WriteString(QlogNames.Type, vantagePoint == QlogVantagePoint.Server ? QlogNames.ValueServer : QlogNames.ValueClient);
            json.WriteEndObject();
            json.WriteEndObject();
            EndEvent(closeData: false);
        }
        catch (Exception e) { Fail(e, start); }
    }

    /// <summary>Opens an event record; returns where the record starts in the buffer, to cut it off if it fails.</summary>
    private int BeginEvent(Instant time, JsonEncodedText name)
    {
        var buffer = _buffer!;
        int start = buffer.WrittenCount;
        long ticks = Math.Max((time - _reference).Ticks, _lastTicks); // never decreasing (see remarks)
        _lastTicks = ticks;
        buffer.WriteByte(RecordSeparator);
        var json = _json!;
        json.Reset(buffer);
        json.WriteStartObject();
        json.WriteNumber(QlogNames.Time, ticks / (double)TimeSpan.TicksPerMillisecond);
        json.WriteString(QlogNames.Name, name);
        json.WriteStartObject(QlogNames.Data);
        return start;
    }

    private void EndEvent(bool closeData = true)
    {
        var json = _json!;
        if (closeData) json.WriteEndObject(); // data
        json.WriteEndObject(); // record
        json.Flush();
        _buffer!.WriteByte(LineFeed);
        if (_buffer.WrittenCount >= FlushThreshold) WriteOut(flushStream: false);
    }

    private void WriteOut(bool flushStream)
    {
        var buffer = _buffer!;
        try
        {
            if (buffer.WrittenCount > 0)
            {
                _stream!.Write(buffer.WrittenSpan);
                BytesWritten += buffer.WrittenCount;
                buffer.Truncate(0);
            }
            if (flushStream) _stream!.Flush();
        }
        catch (Exception e)
        {
            buffer.Truncate(0);
            Disable(e);
        }
    }

    /// <summary>A record failed half-way: cut it off, keep the complete records, and stop logging.</summary>
    private void Fail(Exception e, int recordStart)
    {
        _buffer?.Truncate(recordStart);
        WriteOut(flushStream: true);
        Disable(e);
    }

    private void Disable(Exception e)
    {
        Failure ??= e;
        IsEnabled = false;
        Frames.Disable();
    }

    private void WriteKeyEvent(JsonEncodedText name, Instant time, QlogKeyType keyType, QlogKeyUpdateTrigger trigger, uint? generation)
    {
        if (!IsEnabled) return;
        int start = BeginEvent(time, name);
        try
        {
            var json = _json!;
            json.WriteString(QlogNames.KeyType, KeyTypeName(keyType));
            if (generation is { } g) json.WriteNumber(QlogNames.Generation, g);
            if (trigger != QlogKeyUpdateTrigger.None)
                json.WriteString(QlogNames.Trigger, trigger switch
                {
                    QlogKeyUpdateTrigger.Tls => "tls",
                    QlogKeyUpdateTrigger.RemoteUpdate => "remote_update",
                    _ => "local_update",
                });
            EndEvent();
        }
        catch (Exception e) { Fail(e, start); }
    }

    private static void WritePacketHeader(Utf8JsonWriter json, PacketType packetType, ulong packetNumber,
        ConnectionId? sourceConnectionId, ConnectionId? destinationConnectionId)
    {
        json.WriteStartObject(QlogNames.Header);
        json.WriteString(QlogNames.PacketType, PacketTypeName(packetType));
        json.WriteNumber(QlogNames.PacketNumber, packetNumber);
        if (sourceConnectionId is { } scid) QlogFrameSerializer.WriteConnectionId(json, QlogNames.Scid, scid);
        if (destinationConnectionId is { } dcid) QlogFrameSerializer.WriteConnectionId(json, QlogNames.Dcid, dcid);
        json.WriteEndObject();
    }

    private static void WriteRaw(Utf8JsonWriter json, int length)
    {
        json.WriteStartObject(QlogNames.Raw);
        json.WriteNumber(QlogNames.Length, Math.Max(0, length));
        json.WriteEndObject();
    }

    private static void WriteVersions(Utf8JsonWriter json, JsonEncodedText name, ReadOnlySpan<uint> versions)
    {
        json.WriteStartArray(name);
        foreach (uint v in versions) QlogFrameSerializer.WriteVersionValue(json, v);
        json.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter json, JsonEncodedText name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        for (int i = 0; i < values.Count; i++) json.WriteStringValue(values[i]);
        json.WriteEndArray();
    }

    private static void WriteAddress(Utf8JsonWriter json, JsonEncodedText name, IPAddress address)
    {
        Span<char> chars = stackalloc char[64];
        if (address.TryFormat(chars, out int n)) json.WriteString(name, chars[..n]);
        else json.WriteString(name, address.ToString());
    }

    private static void WriteTransportParameters(Utf8JsonWriter json, TransportParameters p)
    {
        if (p.OriginalDestinationConnectionId is { } odcid)
            QlogFrameSerializer.WriteConnectionId(json, QlogNames.OriginalDestinationConnectionId, odcid);
        if (p.InitialSourceConnectionId is { } iscid)
            QlogFrameSerializer.WriteConnectionId(json, QlogNames.InitialSourceConnectionId, iscid);
        if (p.RetrySourceConnectionId is { } rscid)
            QlogFrameSerializer.WriteConnectionId(json, QlogNames.RetrySourceConnectionId, rscid);
        if (p.StatelessResetToken is { } token)
            QlogFrameSerializer.WriteHex(json, QlogNames.StatelessResetToken, token);
        json.WriteBoolean(QlogNames.DisableActiveMigration, p.DisableActiveMigration);
        json.WriteNumber(QlogNames.MaxIdleTimeout, p.MaxIdleTimeoutMs);
        json.WriteNumber(QlogNames.MaxUdpPayloadSize, p.MaxUdpPayloadSize);
        json.WriteNumber(QlogNames.AckDelayExponent, p.AckDelayExponent);
        json.WriteNumber(QlogNames.MaxAckDelay, p.MaxAckDelayMs);
        json.WriteNumber(QlogNames.ActiveConnectionIdLimit, p.ActiveConnectionIdLimit);
        json.WriteNumber(QlogNames.InitialMaxData, p.InitialMaxData);
        json.WriteNumber(QlogNames.InitialMaxStreamDataBidiLocal, p.InitialMaxStreamDataBidiLocal);
        json.WriteNumber(QlogNames.InitialMaxStreamDataBidiRemote, p.InitialMaxStreamDataBidiRemote);
        json.WriteNumber(QlogNames.InitialMaxStreamDataUni, p.InitialMaxStreamDataUni);
        json.WriteNumber(QlogNames.InitialMaxStreamsBidi, p.InitialMaxStreamsBidi);
        json.WriteNumber(QlogNames.InitialMaxStreamsUni, p.InitialMaxStreamsUni);
        if (p.PreferredAddress is { } pa)
        {
            json.WriteStartObject(QlogNames.PreferredAddress);
            WriteAddress(json, QlogNames.IpV4, pa.IPv4Endpoint?.Address ?? IPAddress.Any);
            WriteAddress(json, QlogNames.IpV6, pa.IPv6Endpoint?.Address ?? IPAddress.IPv6Any);
            json.WriteNumber(QlogNames.PortV4, pa.IPv4Endpoint?.Port ?? 0);
            json.WriteNumber(QlogNames.PortV6, pa.IPv6Endpoint?.Port ?? 0);
            QlogFrameSerializer.WriteConnectionId(json, QlogNames.ConnectionId, pa.ConnectionId);
            QlogFrameSerializer.WriteHex(json, QlogNames.StatelessResetToken, pa.StatelessResetToken.Span);
            json.WriteEndObject();
        }
        if (p.MaxDatagramFrameSize is { } maxDatagram) json.WriteNumber(QlogNames.MaxDatagramFrameSize, maxDatagram);
    }

    private static bool Changed(TimeSpan? value, long last) => value is { } v && v.Ticks != last;

    private static bool Changed(long? value, long? last) => value is { } v && v != last;

    private static double Milliseconds(TimeSpan span) => span.Ticks / (double)TimeSpan.TicksPerMillisecond;

    internal static JsonEncodedText PacketTypeName(PacketType type) => type switch
    {
        PacketType.Initial => QlogNames.ValueInitial,
        PacketType.Handshake => QlogNames.ValueHandshake,
        PacketType.ZeroRtt => QlogNames.ValueV0RTT,
        PacketType.OneRtt => QlogNames.ValueV1RTT,
        PacketType.Retry => QlogNames.ValueRetry,
        PacketType.VersionNegotiation => QlogNames.ValueVersionNegotiation,
        _ => QlogNames.ValueUnknown,
    };

    /// <summary>The name for an enum value from its table, or "unknown" for a value outside it.</summary>
    private static JsonEncodedText Lookup(JsonEncodedText[] table, int index) =>
        (uint)index < (uint)table.Length ? table[index] : QlogNames.ValueUnknown;

    private static JsonEncodedText OwnerName(QlogOwner owner) =>
        owner == QlogOwner.Remote ? QlogNames.ValueRemote : QlogNames.ValueLocal;

    private static string CipherName(CipherSuite cipher) => cipher switch
    {
        CipherSuite.Aes128GcmSha256 => "TLS_AES_128_GCM_SHA256",
        CipherSuite.Aes256GcmSha384 => "TLS_AES_256_GCM_SHA384",
        CipherSuite.ChaCha20Poly1305Sha256 => "TLS_CHACHA20_POLY1305_SHA256",
        _ => "unknown",
    };

    private static readonly JsonEncodedText[] KeyTypeNames = NameTable<QlogKeyType>(
        (QlogKeyType.ServerInitialSecret, "server_initial_secret"),
        (QlogKeyType.ClientInitialSecret, "client_initial_secret"),
        (QlogKeyType.ServerHandshakeSecret, "server_handshake_secret"),
        (QlogKeyType.ClientHandshakeSecret, "client_handshake_secret"),
        (QlogKeyType.Server0RttSecret, "server_0rtt_secret"),
        (QlogKeyType.Client0RttSecret, "client_0rtt_secret"),
        (QlogKeyType.Server1RttSecret, "server_1rtt_secret"),
        (QlogKeyType.Client1RttSecret, "client_1rtt_secret"));

    private static JsonEncodedText KeyTypeName(QlogKeyType type) =>
        Lookup(KeyTypeNames, (int)type);

    private static readonly JsonEncodedText[] ConnectionStateNames = NameTable<QlogConnectionState>(
        (QlogConnectionState.Attempted, "attempted"),
        (QlogConnectionState.PeerValidated, "peer_validated"),
        (QlogConnectionState.HandshakeStarted, "handshake_started"),
        (QlogConnectionState.EarlyWrite, "early_write"),
        (QlogConnectionState.HandshakeComplete, "handshake_complete"),
        (QlogConnectionState.HandshakeConfirmed, "handshake_confirmed"),
        (QlogConnectionState.Closing, "closing"),
        (QlogConnectionState.Draining, "draining"),
        (QlogConnectionState.Closed, "closed"));

    private static JsonEncodedText ConnectionStateName(QlogConnectionState state) =>
        Lookup(ConnectionStateNames, (int)state);

    private static readonly JsonEncodedText[] CloseTriggerNames = NameTable<QlogConnectionCloseTrigger>(
        (QlogConnectionCloseTrigger.Clean, "clean"),
        (QlogConnectionCloseTrigger.HandshakeTimeout, "handshake_timeout"),
        (QlogConnectionCloseTrigger.IdleTimeout, "idle_timeout"),
        (QlogConnectionCloseTrigger.Error, "error"),
        (QlogConnectionCloseTrigger.StatelessReset, "stateless_reset"),
        (QlogConnectionCloseTrigger.VersionMismatch, "version_mismatch"),
        (QlogConnectionCloseTrigger.Application, "application"));

    private static JsonEncodedText CloseTriggerName(QlogConnectionCloseTrigger trigger) =>
        Lookup(CloseTriggerNames, (int)trigger);

    private static readonly JsonEncodedText[] SentTriggerNames = NameTable<QlogPacketSentTrigger>(
        (QlogPacketSentTrigger.RetransmitReordered, "retransmit_reordered"),
        (QlogPacketSentTrigger.RetransmitTimeout, "retransmit_timeout"),
        (QlogPacketSentTrigger.PtoProbe, "pto_probe"),
        (QlogPacketSentTrigger.RetransmitCrypto, "retransmit_crypto"),
        (QlogPacketSentTrigger.CcBandwidthProbe, "cc_bandwidth_probe"));

    private static JsonEncodedText SentTriggerName(QlogPacketSentTrigger trigger) =>
        Lookup(SentTriggerNames, (int)trigger);

    private static readonly JsonEncodedText[] LostTriggerNames = NameTable<QlogPacketLostTrigger>(
        (QlogPacketLostTrigger.ReorderingThreshold, "reordering_threshold"),
        (QlogPacketLostTrigger.TimeThreshold, "time_threshold"),
        (QlogPacketLostTrigger.PtoExpired, "pto_expired"));

    private static JsonEncodedText LostTriggerName(QlogPacketLostTrigger trigger) =>
        Lookup(LostTriggerNames, (int)trigger);

    private static readonly JsonEncodedText[] DropReasonNames = NameTable<QlogPacketDropReason>(
        (QlogPacketDropReason.KeyUnavailable, "key_unavailable"),
        (QlogPacketDropReason.UnknownConnectionId, "unknown_connection_id"),
        (QlogPacketDropReason.HeaderParseError, "header_parse_error"),
        (QlogPacketDropReason.PayloadDecryptError, "payload_decrypt_error"),
        (QlogPacketDropReason.ProtocolViolation, "protocol_violation"),
        (QlogPacketDropReason.DosPrevention, "dos_prevention"),
        (QlogPacketDropReason.UnsupportedVersion, "unsupported_version"),
        (QlogPacketDropReason.UnexpectedPacket, "unexpected_packet"),
        (QlogPacketDropReason.UnexpectedSourceConnectionId, "unexpected_source_connection_id"),
        (QlogPacketDropReason.UnexpectedVersion, "unexpected_version"),
        (QlogPacketDropReason.Duplicate, "duplicate"),
        (QlogPacketDropReason.InvalidInitial, "invalid_initial"));

    private static JsonEncodedText DropReasonName(QlogPacketDropReason reason) =>
        Lookup(DropReasonNames, (int)reason);

    private static readonly JsonEncodedText[] CongestionStateNames = NameTable<CongestionState>(
        (CongestionState.SlowStart, "slow_start"),
        (CongestionState.ConservativeSlowStart, "conservative_slow_start"),
        (CongestionState.CongestionAvoidance, "congestion_avoidance"),
        (CongestionState.Recovery, "recovery"),
        (CongestionState.Startup, "startup"),
        (CongestionState.Drain, "drain"),
        (CongestionState.ProbeBwDown, "probe_bw_down"),
        (CongestionState.ProbeBwCruise, "probe_bw_cruise"),
        (CongestionState.ProbeBwRefill, "probe_bw_refill"),
        (CongestionState.ProbeBwUp, "probe_bw_up"),
        (CongestionState.ProbeRtt, "probe_rtt"));

    private static JsonEncodedText CongestionStateName(CongestionState state) =>
        Lookup(CongestionStateNames, (int)state);

    /// <summary>Pre-encoded names indexed by enum value; gaps read as "unknown".</summary>
    private static JsonEncodedText[] NameTable<T>(params (T Value, string Name)[] entries) where T : struct, Enum
    {
        int size = 0;
        foreach (var (value, _) in entries) size = Math.Max(size, Convert.ToInt32(value) + 1);
        var table = new JsonEncodedText[size];
        Array.Fill(table, QlogNames.ValueUnknown);
        foreach (var (value, name) in entries) table[Convert.ToInt32(value)] = JsonEncodedText.Encode(name);
        return table;
    }
}
