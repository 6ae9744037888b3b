namespace Transport.Quic.Crypto;

/// <summary>
/// The version-specific constants of QUIC packet protection: the Initial salt (RFC 9001 §5.2, RFC 9369 §3.3.1), the
/// HKDF labels for key, IV, header protection and key update (RFC 9001 §5.1, §5.4, §6.1; RFC 9369 §3.3.2), and the
/// Retry integrity key and nonce (RFC 9001 §5.8, RFC 9369 §3.3.3).
/// </summary>
internal sealed class QuicVersionParameters
{
    /// <summary>QUIC version 1 (RFC 9000).</summary>
    public const uint Version1 = Packets.QuicVersion.Version1;

    /// <summary>QUIC version 2 (RFC 9369 §3.1).</summary>
    public const uint Version2 = Packets.QuicVersion.Version2;

    // RFC 9001 §5.2
    private static readonly byte[] V1Salt = Convert.FromHexString("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
    // RFC 9001 §5.8
    private static readonly byte[] V1RetryKey = Convert.FromHexString("be0c690b9f66575a1d766b54e368c84e");
    private static readonly byte[] V1RetryNonce = Convert.FromHexString("461599d35d632bf2239825bb");
    // RFC 9369 §3.3.1
    private static readonly byte[] V2Salt = Convert.FromHexString("0dede3def700a6db819381be6e269dcbf9bd2ed9");
    // RFC 9369 §3.3.3
    private static readonly byte[] V2RetryKey = Convert.FromHexString("8fb4b01b56ac48e260fbcbcead7ccc92");
    private static readonly byte[] V2RetryNonce = Convert.FromHexString("d86969bc2d7c6d9990efb04a");

    /// <summary>The parameters of QUIC version 1.</summary>
    public static readonly QuicVersionParameters V1 =
        new(Version1, V1Salt, "quic key"u8.ToArray(), "quic iv"u8.ToArray(), "quic hp"u8.ToArray(), "quic ku"u8.ToArray(), V1RetryKey, V1RetryNonce);

    /// <summary>The parameters of QUIC version 2.</summary>
    public static readonly QuicVersionParameters V2 =
        new(Version2, V2Salt, "quicv2 key"u8.ToArray(), "quicv2 iv"u8.ToArray(), "quicv2 hp"u8.ToArray(), "quicv2 ku"u8.ToArray(), V2RetryKey, V2RetryNonce);

    private readonly byte[] _initialSalt, _keyLabel, _ivLabel, _hpLabel, _kuLabel, _retryKey, _retryNonce;

    private QuicVersionParameters(uint version, byte[] initialSalt, byte[] keyLabel, byte[] ivLabel, byte[] hpLabel, byte[] kuLabel,
        byte[] retryKey, byte[] retryNonce)
    {
        Version = version;
        _initialSalt = initialSalt;
        _keyLabel = keyLabel;
        _ivLabel = ivLabel;
        _hpLabel = hpLabel;
        _kuLabel = kuLabel;
        _retryKey = retryKey;
        _retryNonce = retryNonce;
    }

    public uint Version { get; }
    public ReadOnlySpan<byte> InitialSalt => _initialSalt;
    public ReadOnlySpan<byte> KeyLabel => _keyLabel;
    public ReadOnlySpan<byte> IvLabel => _ivLabel;
    public ReadOnlySpan<byte> HpLabel => _hpLabel;
    public ReadOnlySpan<byte> KuLabel => _kuLabel;
    public ReadOnlySpan<byte> RetryKey => _retryKey;
    public ReadOnlySpan<byte> RetryNonce => _retryNonce;

    /// <summary>Whether packet protection for <paramref name="version"/> is known.</summary>
    public static bool IsSupported(uint version) => version is Version1 or Version2;

    /// <summary>The parameters for <paramref name="version"/>.</summary>
    /// <exception cref="ArgumentException">Neither QUIC v1 nor QUIC v2.</exception>
    public static QuicVersionParameters Get(uint version) => version switch
    {
        Version1 => V1,
        Version2 => V2,
        _ => throw new ArgumentException($"QUIC version 0x{version:x8} has no known packet protection (supported: 0x00000001, 0x6b3343cf).", nameof(version)),
    };
}
