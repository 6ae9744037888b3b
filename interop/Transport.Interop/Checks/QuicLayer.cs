using System.Globalization;

namespace Transport.Interop.Checks;

/// <summary>
/// One QUIC packet as tshark dissected it: every field under its "quic" layer (frames, the TLS messages inside CRYPTO
/// frames, transport parameters), flattened to name → values in document order. <see cref="Has"/> and
/// <see cref="First"/> mirror pyshark's <c>hasattr(layer, ...)</c> and <c>layer.field</c> (first occurrence).
/// </summary>
public sealed class QuicLayer
{
    /// <summary>QUIC version 1.</summary>
    public const uint Version1 = 0x00000001;

    /// <summary>QUIC version 2 (RFC 9369).</summary>
    public const uint Version2 = 0x6b3343cf;

    private readonly Dictionary<string, List<string>> _fields;

    /// <summary>Wraps already flattened fields.</summary>
    public QuicLayer(Dictionary<string, List<string>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        _fields = fields;
        Kind = Classify();
    }

    /// <summary>The packet type, as the runner's get_packet_type decides it.</summary>
    public QuicPacketKind Kind { get; }

    /// <summary>Whether the field occurs at all.</summary>
    public bool Has(string field) => _fields.ContainsKey(field);

    /// <summary>The first value of the field, or null.</summary>
    public string? First(string field) => _fields.TryGetValue(field, out List<string>? v) && v.Count > 0 ? v[0] : null;

    /// <summary>Every value of the field (empty when absent).</summary>
    public IReadOnlyList<string> All(string field) => _fields.TryGetValue(field, out List<string>? v) ? v : [];

    /// <summary>Field names present (for diagnostics).</summary>
    public IEnumerable<string> FieldNames => _fields.Keys;

    /// <summary>The long-header version (quic.version), or null for short headers.</summary>
    public uint? Version => ParseHex(First("quic.version"));

    /// <summary>The source connection ID as tshark prints it ("aa:bb:..."), or null.</summary>
    public string? Scid => First("quic.scid");

    /// <summary>The packet number when tshark could remove header protection, else null.</summary>
    public long? PacketNumber => long.TryParse(First("quic.packet_number"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long pn) ? pn : null;

    /// <summary>
    /// Payload size as the runner's _payload_size counts it: for long headers the (decrypted or remaining) payload
    /// bytes, for short headers the protected payload bytes.
    /// </summary>
    public int PayloadSize
    {
        get
        {
            if (Has("quic.long.packet_type") || Has("quic.long.packet_type_v2"))
                return HexLength(First("quic.payload") ?? First("quic.remaining_payload"));
            return HexLength(First("quic.protected_payload"));
        }
    }

    /// <summary>Key phase bit of a short-header packet (tshark prints "1" or "True").</summary>
    public int KeyPhase => First("quic.key_phase") is "1" or "True" or "true" ? 1 : 0;

    /// <summary>Number of bytes in a colon-separated hex string ("aa:bb" = 2); 0 for null or empty.</summary>
    public static int HexLength(string? hex) => string.IsNullOrEmpty(hex) ? 0 : hex.Split(':').Length;

    /// <summary>Parses "0x..." or decimal; null when absent or malformed.</summary>
    public static uint? ParseHex(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (value.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return uint.TryParse(value.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint h) ? h : null;
        return uint.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out uint d) ? d : null;
    }

    private QuicPacketKind Classify()
    {
        // trace.py get_packet_type
        if (First("quic.header_form") == "0") return QuicPacketKind.OneRtt;
        uint? version = Version;
        if (version == 0) return QuicPacketKind.VersionNegotiation;
        if (version == Version2)
        {
            return First("quic.long.packet_type_v2") switch
            {
                "1" => QuicPacketKind.Initial,
                "2" => QuicPacketKind.ZeroRtt,
                "3" => QuicPacketKind.Handshake,
                "0" => QuicPacketKind.Retry,
                _ => QuicPacketKind.Invalid,
            };
        }
        return First("quic.long.packet_type") switch
        {
            "0" => QuicPacketKind.Initial,
            "1" => QuicPacketKind.ZeroRtt,
            "2" => QuicPacketKind.Handshake,
            "3" => QuicPacketKind.Retry,
            _ => QuicPacketKind.Invalid,
        };
    }
}
