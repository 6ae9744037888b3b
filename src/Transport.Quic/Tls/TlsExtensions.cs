namespace Transport.Quic.Tls;

/// <summary>The extensions of one handshake message (RFC 8446 §4.2), parsed; duplicates raise illegal_parameter.</summary>
internal sealed class TlsExtensions
{
    private readonly Dictionary<ushort, byte[]> _bodies = new();

    private TlsExtensions() { }

    /// <summary>Types in the order they appeared.</summary>
    public List<ushort> Order { get; } = new();

    /// <summary>Parses the extensions vector body (without its 2-byte length).</summary>
    public static TlsExtensions Parse(ReadOnlySpan<byte> block)
    {
        var result = new TlsExtensions();
        var r = new TlsReader(block);
        while (!r.IsEmpty)
        {
            ushort type = r.ReadUInt16();
            byte[] body = r.ReadVector16().ToArray();
            // RFC 8446 §4.2: no more than one extension of the same type.
            if (!result._bodies.TryAdd(type, body))
                throw new TlsAlertException(TlsAlert.IllegalParameter, $"Extension {type} appears twice.");
            result.Order.Add(type);
        }
        return result;
    }

    public bool Contains(ushort type) => _bodies.ContainsKey(type);

    public bool TryGet(ushort type, out byte[] body) => _bodies.TryGetValue(type, out body!);

    /// <summary>unsupported_extension for any type outside <paramref name="allowed"/> (RFC 8446 §4.2: responses only to what was asked).</summary>
    public void AllowOnly(ReadOnlySpan<ushort> allowed, string message)
    {
        foreach (ushort t in Order)
            if (allowed.IndexOf(t) < 0)
                throw new TlsAlertException(TlsAlert.UnsupportedExtension, $"Extension {t} is not allowed in {message}.");
    }
}
