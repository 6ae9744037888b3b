using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Transport.Core.Wire;
using Transport.Quic.Frames;

namespace Transport.Quic.Parameters;

/// <summary>
/// QUIC transport parameters (RFC 9000 §18, RFC 9221 §3, RFC 9368 §5), with the RFC's defaults for absent ones, and
/// their encoding as the opaque value of the TLS quic_transport_parameters extension. Setters reject out-of-range
/// values with <see cref="ArgumentOutOfRangeException"/>; <see cref="TryDecode"/> reports a peer's bad parameters as a
/// TRANSPORT_PARAMETER_ERROR without throwing. Per-connection, so a class; the codec itself allocates only the result.
/// </summary>
public sealed class TransportParameters
{
    /// <summary>Default max_udp_payload_size: 65527 (RFC 9000 §18.2).</summary>
    public const ulong DefaultMaxUdpPayloadSize = 65527;
    /// <summary>Smallest valid max_udp_payload_size: 1200 (RFC 9000 §18.2).</summary>
    public const ulong MinMaxUdpPayloadSize = 1200;
    /// <summary>Default ack_delay_exponent: 3 (RFC 9000 §18.2).</summary>
    public const int DefaultAckDelayExponent = 3;
    /// <summary>Largest valid ack_delay_exponent: 20 (RFC 9000 §18.2).</summary>
    public const int MaxAckDelayExponent = 20;
    /// <summary>Default max_ack_delay: 25 ms (RFC 9000 §18.2).</summary>
    public const ulong DefaultMaxAckDelayMs = 25;
    /// <summary>max_ack_delay values of 2^14 ms or more are invalid (RFC 9000 §18.2).</summary>
    public const ulong MaxAckDelayLimitMs = 1UL << 14;
    /// <summary>Default (and smallest valid) active_connection_id_limit: 2 (RFC 9000 §18.2).</summary>
    public const ulong DefaultActiveConnectionIdLimit = 2;
    /// <summary>The length of a stateless reset token.</summary>
    public const int StatelessResetTokenLength = 16;

    private ulong _maxIdleTimeoutMs;
    private ulong _maxUdpPayloadSize = DefaultMaxUdpPayloadSize;
    private ulong _initialMaxData, _initialMaxStreamDataBidiLocal, _initialMaxStreamDataBidiRemote, _initialMaxStreamDataUni;
    private ulong _initialMaxStreamsBidi, _initialMaxStreamsUni;
    private int _ackDelayExponent = DefaultAckDelayExponent;
    private ulong _maxAckDelayMs = DefaultMaxAckDelayMs;
    private ulong _activeConnectionIdLimit = DefaultActiveConnectionIdLimit;
    private ulong? _maxDatagramFrameSize;
    private byte[]? _statelessResetToken;

    /// <summary>original_destination_connection_id (0x00, server only): the DCID of the client's first Initial.</summary>
    public ConnectionId? OriginalDestinationConnectionId { get; set; }

    /// <summary>max_idle_timeout (0x01) in milliseconds; 0 (the default) disables the idle timeout.</summary>
    public ulong MaxIdleTimeoutMs { get => _maxIdleTimeoutMs; set => _maxIdleTimeoutMs = CheckVarInt(value); }

    /// <summary>stateless_reset_token (0x02, server only): 16 bytes, or null when absent. Get and set copy the bytes.</summary>
    /// <exception cref="ArgumentException">Not 16 bytes.</exception>
    public byte[]? StatelessResetToken
    {
        get => (byte[]?)_statelessResetToken?.Clone();
        set
        {
            if (value is { } v && v.Length != StatelessResetTokenLength)
                throw new ArgumentException($"A stateless reset token is 16 bytes; got {v.Length}.", nameof(value));
            _statelessResetToken = (byte[]?)value?.Clone();
        }
    }

    /// <summary>max_udp_payload_size (0x03): at least 1200; default 65527.</summary>
    public ulong MaxUdpPayloadSize
    {
        get => _maxUdpPayloadSize;
        set => _maxUdpPayloadSize = value >= MinMaxUdpPayloadSize ? CheckVarInt(value)
            : throw new ArgumentOutOfRangeException(nameof(value), value, "max_udp_payload_size is at least 1200 (RFC 9000 §18.2).");
    }

    /// <summary>initial_max_data (0x04): the initial connection-level flow-control limit; default 0.</summary>
    public ulong InitialMaxData { get => _initialMaxData; set => _initialMaxData = CheckVarInt(value); }

    /// <summary>initial_max_stream_data_bidi_local (0x05): for bidirectional streams the sender opens; default 0.</summary>
    public ulong InitialMaxStreamDataBidiLocal { get => _initialMaxStreamDataBidiLocal; set => _initialMaxStreamDataBidiLocal = CheckVarInt(value); }

    /// <summary>initial_max_stream_data_bidi_remote (0x06): for bidirectional streams the peer opens; default 0.</summary>
    public ulong InitialMaxStreamDataBidiRemote { get => _initialMaxStreamDataBidiRemote; set => _initialMaxStreamDataBidiRemote = CheckVarInt(value); }

    /// <summary>initial_max_stream_data_uni (0x07): for unidirectional streams the peer opens; default 0.</summary>
    public ulong InitialMaxStreamDataUni { get => _initialMaxStreamDataUni; set => _initialMaxStreamDataUni = CheckVarInt(value); }

    /// <summary>initial_max_streams_bidi (0x08): at most 2^60; default 0.</summary>
    public ulong InitialMaxStreamsBidi { get => _initialMaxStreamsBidi; set => _initialMaxStreamsBidi = CheckStreams(value); }

    /// <summary>initial_max_streams_uni (0x09): at most 2^60; default 0.</summary>
    public ulong InitialMaxStreamsUni { get => _initialMaxStreamsUni; set => _initialMaxStreamsUni = CheckStreams(value); }

    /// <summary>ack_delay_exponent (0x0a): 0 to 20; default 3.</summary>
    public int AckDelayExponent
    {
        get => _ackDelayExponent;
        set => _ackDelayExponent = value is >= 0 and <= MaxAckDelayExponent ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "ack_delay_exponent is 0 to 20 (RFC 9000 §18.2).");
    }

    /// <summary>max_ack_delay (0x0b) in milliseconds: below 2^14; default 25.</summary>
    public ulong MaxAckDelayMs
    {
        get => _maxAckDelayMs;
        set => _maxAckDelayMs = value < MaxAckDelayLimitMs ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "max_ack_delay is below 2^14 ms (RFC 9000 §18.2).");
    }

    /// <summary>disable_active_migration (0x0c).</summary>
    public bool DisableActiveMigration { get; set; }

    /// <summary>preferred_address (0x0d, server only), or null.</summary>
    public PreferredAddress? PreferredAddress { get; set; }

    /// <summary>active_connection_id_limit (0x0e): at least 2; default 2.</summary>
    public ulong ActiveConnectionIdLimit
    {
        get => _activeConnectionIdLimit;
        set => _activeConnectionIdLimit = value >= DefaultActiveConnectionIdLimit ? CheckVarInt(value)
            : throw new ArgumentOutOfRangeException(nameof(value), value, "active_connection_id_limit is at least 2 (RFC 9000 §18.2).");
    }

    /// <summary>initial_source_connection_id (0x0f): the SCID of the sender's first Initial; required from both sides (RFC 9000 §7.3).</summary>
    public ConnectionId? InitialSourceConnectionId { get; set; }

    /// <summary>retry_source_connection_id (0x10, server only): the SCID of the server's Retry, if it sent one.</summary>
    public ConnectionId? RetrySourceConnectionId { get; set; }

    /// <summary>version_information (0x11, RFC 9368), or null.</summary>
    public VersionInformation? VersionInformation { get; set; }

    /// <summary>max_datagram_frame_size (0x20, RFC 9221 §3); null (absent) means DATAGRAM frames are not supported.</summary>
    public ulong? MaxDatagramFrameSize { get => _maxDatagramFrameSize; set => _maxDatagramFrameSize = value is { } v ? CheckVarInt(v) : null; }

    /// <summary>When true, encoding adds one reserved (GREASE) parameter with id 31*N+27 and 4 random bytes (RFC 9000 §18.1).</summary>
    public bool IncludeGreaseParameter { get; set; }

    private const int GreaseLength = 4 + 1 + 4; // 4-byte id, length 4, 4 bytes

    // ------------------------------------------------------------------------------------------- encoding

    /// <summary>The encoded length of these parameters.</summary>
    public int GetEncodedLength()
    {
        int n = 0;
        n += CidLength(TransportParameterId.OriginalDestinationConnectionId, OriginalDestinationConnectionId);
        n += IntLength(TransportParameterId.MaxIdleTimeout, _maxIdleTimeoutMs, 0);
        if (_statelessResetToken is not null) n += 1 + 1 + StatelessResetTokenLength;
        n += IntLength(TransportParameterId.MaxUdpPayloadSize, _maxUdpPayloadSize, DefaultMaxUdpPayloadSize);
        n += IntLength(TransportParameterId.InitialMaxData, _initialMaxData, 0);
        n += IntLength(TransportParameterId.InitialMaxStreamDataBidiLocal, _initialMaxStreamDataBidiLocal, 0);
        n += IntLength(TransportParameterId.InitialMaxStreamDataBidiRemote, _initialMaxStreamDataBidiRemote, 0);
        n += IntLength(TransportParameterId.InitialMaxStreamDataUni, _initialMaxStreamDataUni, 0);
        n += IntLength(TransportParameterId.InitialMaxStreamsBidi, _initialMaxStreamsBidi, 0);
        n += IntLength(TransportParameterId.InitialMaxStreamsUni, _initialMaxStreamsUni, 0);
        n += IntLength(TransportParameterId.AckDelayExponent, (ulong)_ackDelayExponent, DefaultAckDelayExponent);
        n += IntLength(TransportParameterId.MaxAckDelay, _maxAckDelayMs, DefaultMaxAckDelayMs);
        if (DisableActiveMigration) n += 2;
        if (PreferredAddress is { } pa) n += 1 + VarInt.GetLength((ulong)pa.EncodedLength) + pa.EncodedLength;
        n += IntLength(TransportParameterId.ActiveConnectionIdLimit, _activeConnectionIdLimit, DefaultActiveConnectionIdLimit);
        n += CidLength(TransportParameterId.InitialSourceConnectionId, InitialSourceConnectionId);
        n += CidLength(TransportParameterId.RetrySourceConnectionId, RetrySourceConnectionId);
        if (VersionInformation is { } vi)
        {
            int len = 4 * (1 + vi.AvailableVersions.Count);
            n += 1 + VarInt.GetLength((ulong)len) + len;
        }
        if (_maxDatagramFrameSize is { } mdfs) n += 1 + 1 + VarInt.GetLength(mdfs);
        if (IncludeGreaseParameter) n += GreaseLength;
        return n;
    }

    /// <summary>
    /// Encodes the parameters, in increasing id order, omitting those equal to their defaults; false (nothing
    /// meaningful written) when <paramref name="destination"/> is too small.
    /// </summary>
    /// <exception cref="InvalidOperationException">The preferred address is invalid (zero-length connection ID, wrong address family).</exception>
    public bool TryEncode(Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (PreferredAddress?.Validate() is { } paError) throw new InvalidOperationException(paError);
        int length = GetEncodedLength();
        if (destination.Length < length) return false;
        var w = new SpanWriter(destination);
        WriteCid(ref w, TransportParameterId.OriginalDestinationConnectionId, OriginalDestinationConnectionId);
        WriteInt(ref w, TransportParameterId.MaxIdleTimeout, _maxIdleTimeoutMs, 0);
        if (_statelessResetToken is not null)
        {
            w.WriteVarInt((ulong)TransportParameterId.StatelessResetToken);
            w.WriteVarIntLengthPrefixed(_statelessResetToken);
        }
        WriteInt(ref w, TransportParameterId.MaxUdpPayloadSize, _maxUdpPayloadSize, DefaultMaxUdpPayloadSize);
        WriteInt(ref w, TransportParameterId.InitialMaxData, _initialMaxData, 0);
        WriteInt(ref w, TransportParameterId.InitialMaxStreamDataBidiLocal, _initialMaxStreamDataBidiLocal, 0);
        WriteInt(ref w, TransportParameterId.InitialMaxStreamDataBidiRemote, _initialMaxStreamDataBidiRemote, 0);
        WriteInt(ref w, TransportParameterId.InitialMaxStreamDataUni, _initialMaxStreamDataUni, 0);
        WriteInt(ref w, TransportParameterId.InitialMaxStreamsBidi, _initialMaxStreamsBidi, 0);
        WriteInt(ref w, TransportParameterId.InitialMaxStreamsUni, _initialMaxStreamsUni, 0);
        WriteInt(ref w, TransportParameterId.AckDelayExponent, (ulong)_ackDelayExponent, DefaultAckDelayExponent);
        WriteInt(ref w, TransportParameterId.MaxAckDelay, _maxAckDelayMs, DefaultMaxAckDelayMs);
        if (DisableActiveMigration)
        {
            w.WriteVarInt((ulong)TransportParameterId.DisableActiveMigration);
            w.WriteVarInt(0);
        }
        if (PreferredAddress is { } pa)
        {
            w.WriteVarInt((ulong)TransportParameterId.PreferredAddress);
            w.WriteVarInt((ulong)pa.EncodedLength);
            pa.Write(ref w);
        }
        WriteInt(ref w, TransportParameterId.ActiveConnectionIdLimit, _activeConnectionIdLimit, DefaultActiveConnectionIdLimit);
        WriteCid(ref w, TransportParameterId.InitialSourceConnectionId, InitialSourceConnectionId);
        WriteCid(ref w, TransportParameterId.RetrySourceConnectionId, RetrySourceConnectionId);
        if (VersionInformation is { } vi)
        {
            w.WriteVarInt((ulong)TransportParameterId.VersionInformation);
            w.WriteVarInt((ulong)(4 * (1 + vi.AvailableVersions.Count)));
            w.WriteUInt32(vi.ChosenVersion);
            foreach (uint v in vi.AvailableVersions) w.WriteUInt32(v);
        }
        if (_maxDatagramFrameSize is { } mdfs)
        {
            w.WriteVarInt((ulong)TransportParameterId.MaxDatagramFrameSize);
            w.WriteVarInt((ulong)VarInt.GetLength(mdfs));
            w.WriteVarInt(mdfs);
        }
        if (IncludeGreaseParameter)
        {
            // RFC 9000 §18.1: reserved ids 31*N+27; N chosen so the id takes a 4-byte varint (16384 <= id < 2^30).
            ulong id = 31UL * (ulong)Random.Shared.Next(529, 34_636_832) + 27;
            w.WriteVarInt(id, 4);
            w.WriteVarInt(4);
            w.WriteUInt32((uint)Random.Shared.Next());
        }
        bytesWritten = w.Position;
        return true;
    }

    /// <summary>Encodes the parameters into a new array.</summary>
    public byte[] Encode()
    {
        var buffer = new byte[GetEncodedLength()];
        TryEncode(buffer, out _);
        return buffer;
    }

    private static int IntLength(TransportParameterId id, ulong value, ulong defaultValue) =>
        value == defaultValue ? 0 : VarInt.GetLength((ulong)id) + 1 + VarInt.GetLength(value);

    private static int CidLength(TransportParameterId id, ConnectionId? cid) =>
        cid is { } c ? VarInt.GetLength((ulong)id) + 1 + c.Length : 0;

    private static void WriteInt(ref SpanWriter w, TransportParameterId id, ulong value, ulong defaultValue)
    {
        if (value == defaultValue) return;
        w.WriteVarInt((ulong)id);
        w.WriteVarInt((ulong)VarInt.GetLength(value));
        w.WriteVarInt(value);
    }

    private static void WriteCid(ref SpanWriter w, TransportParameterId id, ConnectionId? cid)
    {
        if (cid is not { } c) return;
        w.WriteVarInt((ulong)id);
        w.WriteVarIntLengthPrefixed(c.Span);
    }

    private static ulong CheckVarInt(ulong value) =>
        value <= VarInt.MaxValue ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "A transport parameter value is at most 2^62-1.");

    private static ulong CheckStreams(ulong value) =>
        value <= FrameRules.MaxStreamCount ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "initial_max_streams is at most 2^60 (RFC 9000 §18.2).");

    // ------------------------------------------------------------------------------------------- decoding

    /// <summary>
    /// Decodes a peer's transport parameters. <paramref name="sentByServer"/> is the sender's role: a client may not
    /// send server-only parameters, and a server must send original_destination_connection_id. False with a
    /// description in <paramref name="error"/> for anything the connection must answer with TRANSPORT_PARAMETER_ERROR:
    /// truncation, a malformed or out-of-range value, a repeated parameter, a server-only parameter from a client, a
    /// missing required parameter (RFC 9000 §7.3, §7.4, §18.2; RFC 9368 §6). Unknown (and GREASE) parameters are
    /// ignored, unless repeated.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, bool sentByServer,
        [NotNullWhen(true)] out TransportParameters? parameters, [NotNullWhen(false)] out string? error)
    {
        parameters = null;
        var p = new TransportParameters();
        var r = new SpanReader(data);
        ulong seen = 0;
        HashSet<ulong>? seenUnknown = null; // once per connection: allocation is fine here
        while (!r.IsEmpty)
        {
            if (!r.TryReadVarInt(out ulong id) || !r.TryReadVarIntLengthPrefixed(out ReadOnlySpan<byte> value))
                return Fail("Transport parameters truncated.", out error);
            int bit = id <= 0x11 ? (int)id : id == 0x20 ? 32 : -1;
            if (bit < 0)
            {
                // RFC 9000 §7.4.2: unknown parameters are ignored, but §7.4: none may appear twice.
                if (!(seenUnknown ??= new HashSet<ulong>()).Add(id))
                    return Fail($"Transport parameter 0x{id:x2} repeated (RFC 9000 §7.4).", out error);
                continue;
            }
            if ((seen & (1UL << bit)) != 0)
                return Fail($"Transport parameter 0x{id:x2} repeated (RFC 9000 §7.4).", out error);
            seen |= 1UL << bit;
            var pid = (TransportParameterId)id;
            if (!sentByServer && pid is TransportParameterId.OriginalDestinationConnectionId or TransportParameterId.StatelessResetToken
                    or TransportParameterId.PreferredAddress or TransportParameterId.RetrySourceConnectionId)
                return Fail($"Server-only transport parameter 0x{id:x2} sent by a client (RFC 9000 §18.2).", out error);

            ulong n;
            switch (pid)
            {
                case TransportParameterId.OriginalDestinationConnectionId:
                case TransportParameterId.InitialSourceConnectionId:
                case TransportParameterId.RetrySourceConnectionId:
                    if (value.Length > ConnectionId.MaxLength) return Fail($"Connection ID parameter 0x{id:x2} longer than 20 bytes.", out error);
                    var cid = new ConnectionId(value);
                    if (pid == TransportParameterId.OriginalDestinationConnectionId) p.OriginalDestinationConnectionId = cid;
                    else if (pid == TransportParameterId.InitialSourceConnectionId) p.InitialSourceConnectionId = cid;
                    else p.RetrySourceConnectionId = cid;
                    break;
                case TransportParameterId.MaxIdleTimeout:
                    if (!ReadInt(value, out n)) return Malformed(id, out error);
                    p._maxIdleTimeoutMs = n;
                    break;
                case TransportParameterId.StatelessResetToken:
                    if (value.Length != StatelessResetTokenLength) return Fail("stateless_reset_token is not 16 bytes.", out error);
                    p._statelessResetToken = value.ToArray();
                    break;
                case TransportParameterId.MaxUdpPayloadSize:
                    if (!ReadInt(value, out n)) return Malformed(id, out error);
                    if (n < MinMaxUdpPayloadSize) return Fail("max_udp_payload_size below 1200 (RFC 9000 §18.2).", out error);
                    p._maxUdpPayloadSize = n;
                    break;
                case TransportParameterId.InitialMaxData:
                    if (!ReadInt(value, out p._initialMaxData)) return Malformed(id, out error);
                    break;
                case TransportParameterId.InitialMaxStreamDataBidiLocal:
                    if (!ReadInt(value, out p._initialMaxStreamDataBidiLocal)) return Malformed(id, out error);
                    break;
                case TransportParameterId.InitialMaxStreamDataBidiRemote:
                    if (!ReadInt(value, out p._initialMaxStreamDataBidiRemote)) return Malformed(id, out error);
                    break;
                case TransportParameterId.InitialMaxStreamDataUni:
                    if (!ReadInt(value, out p._initialMaxStreamDataUni)) return Malformed(id, out error);
                    break;
                case TransportParameterId.InitialMaxStreamsBidi:
                case TransportParameterId.InitialMaxStreamsUni:
                    if (!ReadInt(value, out n)) return Malformed(id, out error);
                    if (n > FrameRules.MaxStreamCount) return Fail("initial_max_streams above 2^60 (RFC 9000 §4.6).", out error);
                    if (pid == TransportParameterId.InitialMaxStreamsBidi) p._initialMaxStreamsBidi = n;
                    else p._initialMaxStreamsUni = n;
                    break;
                case TransportParameterId.AckDelayExponent:
                    if (!ReadInt(value, out n)) return Malformed(id, out error);
                    if (n > MaxAckDelayExponent) return Fail("ack_delay_exponent above 20 (RFC 9000 §18.2).", out error);
                    p._ackDelayExponent = (int)n;
                    break;
                case TransportParameterId.MaxAckDelay:
                    if (!ReadInt(value, out n)) return Malformed(id, out error);
                    if (n >= MaxAckDelayLimitMs) return Fail("max_ack_delay of 2^14 ms or more (RFC 9000 §18.2).", out error);
                    p._maxAckDelayMs = n;
                    break;
                case TransportParameterId.DisableActiveMigration:
                    if (!value.IsEmpty) return Fail("disable_active_migration has a non-empty value.", out error);
                    p.DisableActiveMigration = true;
                    break;
                case TransportParameterId.PreferredAddress:
                    var pa = PreferredAddress.TryRead(value);
                    if (pa is null) return Malformed(id, out error);
                    if (pa.Validate() is { } paError) return Fail(paError, out error);
                    p.PreferredAddress = pa;
                    break;
                case TransportParameterId.ActiveConnectionIdLimit:
                    if (!ReadInt(value, out n)) return Malformed(id, out error);
                    if (n < DefaultActiveConnectionIdLimit) return Fail("active_connection_id_limit below 2 (RFC 9000 §18.2).", out error);
                    p._activeConnectionIdLimit = n;
                    break;
                case TransportParameterId.VersionInformation:
                {
                    // RFC 9368 §6: too short, not a multiple of four, or a zero version is a parsing failure.
                    if (value.Length < 4 || value.Length % 4 != 0) return Malformed(id, out error);
                    uint chosen = BinaryPrimitives.ReadUInt32BigEndian(value);
                    var available = new uint[value.Length / 4 - 1];
                    bool chosenListed = false;
                    for (int i = 0; i < available.Length; i++)
                    {
                        available[i] = BinaryPrimitives.ReadUInt32BigEndian(value.Slice(4 + 4 * i));
                        if (available[i] == 0) return Fail("version_information lists version 0 (RFC 9368 §6).", out error);
                        chosenListed |= available[i] == chosen;
                    }
                    if (chosen == 0) return Fail("version_information Chosen Version is 0 (RFC 9368 §6).", out error);
                    if (!sentByServer && !chosenListed)
                        return Fail("Client version_information does not list its Chosen Version (RFC 9368 §6).", out error);
                    p.VersionInformation = new VersionInformation(chosen, available);
                    break;
                }
                case TransportParameterId.MaxDatagramFrameSize:
                    if (!ReadInt(value, out n)) return Malformed(id, out error);
                    p._maxDatagramFrameSize = n;
                    break;
            }
        }

        // RFC 9000 §7.3: initial_source_connection_id is required from both endpoints, original_destination_connection_id from the server.
        if (p.InitialSourceConnectionId is null) return Fail("initial_source_connection_id missing (RFC 9000 §7.3).", out error);
        if (sentByServer && p.OriginalDestinationConnectionId is null)
            return Fail("Server omitted original_destination_connection_id (RFC 9000 §7.3).", out error);

        parameters = p;
        error = null;
        return true;
    }

    /// <summary>Decodes a peer's transport parameters, as <see cref="TryDecode"/>.</summary>
    /// <exception cref="TransportParameterException">The parameters are invalid (TRANSPORT_PARAMETER_ERROR).</exception>
    public static TransportParameters Decode(ReadOnlySpan<byte> data, bool sentByServer) =>
        TryDecode(data, sentByServer, out TransportParameters? p, out string? error) ? p : throw new TransportParameterException(error);

    // An integer parameter's value is exactly one varint (RFC 9000 §18).
    private static bool ReadInt(ReadOnlySpan<byte> value, out ulong result) =>
        VarInt.TryRead(value, out result, out int n) && n == value.Length;

    private static bool Malformed(ulong id, out string error) => Fail($"Transport parameter 0x{id:x2} malformed.", out error);

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }
}
