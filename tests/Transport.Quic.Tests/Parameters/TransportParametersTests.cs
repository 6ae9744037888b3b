using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Wire;
using Transport.Quic.Frames;
using Transport.Quic.Parameters;

namespace Transport.Quic.Tests.Parameters;

public class TransportParametersTests
{
    // The quic_transport_parameters extension value inside the RFC 9001 A.2 ClientHello (extension 0x39, 50 bytes).
    private static readonly byte[] Rfc9001ClientParameters =
        TestGen.Hex("0408ffffffffffffffff 05048000ffff 07048000ffff 080110 010480007530 090110 0f088394c8f03e515708 06048000ffff");

    [Fact]
    public void Rfc9001_A2_client_parameters_decode()
    {
        Assert.Equal(50, Rfc9001ClientParameters.Length);
        Assert.True(TransportParameters.TryDecode(Rfc9001ClientParameters, sentByServer: false, out TransportParameters? p, out string? error), error);
        Assert.Equal(VarInt.MaxValue, p.InitialMaxData);
        Assert.Equal(65535UL, p.InitialMaxStreamDataBidiLocal);
        Assert.Equal(65535UL, p.InitialMaxStreamDataBidiRemote);
        Assert.Equal(65535UL, p.InitialMaxStreamDataUni);
        Assert.Equal(16UL, p.InitialMaxStreamsBidi);
        Assert.Equal(16UL, p.InitialMaxStreamsUni);
        Assert.Equal(30000UL, p.MaxIdleTimeoutMs);
        Assert.Equal(new ConnectionId(TestGen.Hex("8394c8f03e515708")), p.InitialSourceConnectionId);
        // Absent parameters take their RFC 9000 §18.2 defaults.
        Assert.Equal(65527UL, p.MaxUdpPayloadSize);
        Assert.Equal(3, p.AckDelayExponent);
        Assert.Equal(25UL, p.MaxAckDelayMs);
        Assert.Equal(2UL, p.ActiveConnectionIdLimit);
        Assert.False(p.DisableActiveMigration);
        Assert.Null(p.MaxDatagramFrameSize);
        Assert.Null(p.PreferredAddress);
        Assert.Null(p.StatelessResetToken);
        // The same values re-encode (in id order, minimal varints) and decode again to the same values.
        Assert.True(TransportParameters.TryDecode(p.Encode(), false, out TransportParameters? again, out _));
        AssertSame(p, again);
    }

    private static void AssertSame(TransportParameters a, TransportParameters b)
    {
        Assert.Equal(a.OriginalDestinationConnectionId, b.OriginalDestinationConnectionId);
        Assert.Equal(a.MaxIdleTimeoutMs, b.MaxIdleTimeoutMs);
        Assert.Equal(a.StatelessResetToken, b.StatelessResetToken);
        Assert.Equal(a.MaxUdpPayloadSize, b.MaxUdpPayloadSize);
        Assert.Equal(a.InitialMaxData, b.InitialMaxData);
        Assert.Equal(a.InitialMaxStreamDataBidiLocal, b.InitialMaxStreamDataBidiLocal);
        Assert.Equal(a.InitialMaxStreamDataBidiRemote, b.InitialMaxStreamDataBidiRemote);
        Assert.Equal(a.InitialMaxStreamDataUni, b.InitialMaxStreamDataUni);
        Assert.Equal(a.InitialMaxStreamsBidi, b.InitialMaxStreamsBidi);
        Assert.Equal(a.InitialMaxStreamsUni, b.InitialMaxStreamsUni);
        Assert.Equal(a.AckDelayExponent, b.AckDelayExponent);
        Assert.Equal(a.MaxAckDelayMs, b.MaxAckDelayMs);
        Assert.Equal(a.DisableActiveMigration, b.DisableActiveMigration);
        Assert.Equal(a.PreferredAddress, b.PreferredAddress);
        Assert.Equal(a.ActiveConnectionIdLimit, b.ActiveConnectionIdLimit);
        Assert.Equal(a.InitialSourceConnectionId, b.InitialSourceConnectionId);
        Assert.Equal(a.RetrySourceConnectionId, b.RetrySourceConnectionId);
        Assert.Equal(a.VersionInformation, b.VersionInformation);
        Assert.Equal(a.MaxDatagramFrameSize, b.MaxDatagramFrameSize);
    }

    private static readonly Gen<ConnectionId> Cid = TestGen.Bytes(0, 20).Select(b => new ConnectionId(b));

    private static readonly Gen<PreferredAddress> PreferredAddressGen =
        from v4 in Gen.Elements(true, false)
        from v6 in Gen.Elements(true, false)
        from port in Gen.Choose(1, 65535)
        from addr in TestGen.Bytes(16, 16)
        from cid in TestGen.Bytes(1, 20)
        from token in TestGen.Bytes(16, 16)
        select new PreferredAddress
        {
            IPv4Endpoint = v4 ? new IPEndPoint(new IPAddress(addr.AsSpan(0, 4)), port) : null,
            IPv6Endpoint = v6 ? new IPEndPoint(new IPAddress(addr), port) : null,
            ConnectionId = new ConnectionId(cid),
            StatelessResetToken = token,
        };

    private static Gen<TransportParameters> ParametersGen(bool server) =>
        from ints in Gen.ArrayOf(TestGen.VarIntValue, 6)
        from streams in Gen.ArrayOf(TestGen.UpTo(FrameRules.MaxStreamCount), 2)
        from udp in TestGen.UpTo(VarInt.MaxValue - 1200)
        from exponent in Gen.Choose(0, 20)
        from ackDelay in Gen.Choose(0, (1 << 14) - 1)
        from migration in Gen.Elements(true, false)
        from cidLimit in TestGen.UpTo(VarInt.MaxValue - 2)
        from isCid in Cid
        from odcid in Cid
        from rscid in Gen.OneOf(Gen.Constant((ConnectionId?)null), Cid.Select(c => (ConnectionId?)c))
        from token in Gen.OneOf(Gen.Constant((byte[]?)null), TestGen.Bytes(16, 16).Select(b => (byte[]?)b))
        from pa in Gen.OneOf(Gen.Constant((PreferredAddress?)null), PreferredAddressGen.Select(p => (PreferredAddress?)p))
        from datagram in Gen.OneOf(Gen.Constant((ulong?)null), TestGen.VarIntValue.Select(v => (ulong?)v))
        from vi in Gen.OneOf(Gen.Constant((VersionInformation?)null), Gen.Constant((VersionInformation?)new VersionInformation(1, 0x6b3343cf, 1, 0x1a2a3a4a)))
        from grease in Gen.Elements(true, false)
        select new TransportParameters
        {
            MaxIdleTimeoutMs = ints[0],
            InitialMaxData = ints[1],
            InitialMaxStreamDataBidiLocal = ints[2],
            InitialMaxStreamDataBidiRemote = ints[3],
            InitialMaxStreamDataUni = ints[4],
            MaxDatagramFrameSize = datagram,
            InitialMaxStreamsBidi = streams[0],
            InitialMaxStreamsUni = streams[1],
            MaxUdpPayloadSize = 1200 + udp,
            AckDelayExponent = exponent,
            MaxAckDelayMs = (ulong)ackDelay,
            DisableActiveMigration = migration,
            ActiveConnectionIdLimit = 2 + cidLimit,
            InitialSourceConnectionId = isCid,
            OriginalDestinationConnectionId = server ? odcid : null,
            RetrySourceConnectionId = server ? rscid : null,
            StatelessResetToken = server ? token : null,
            PreferredAddress = server ? pa : null,
            VersionInformation = vi,
            IncludeGreaseParameter = grease,
        };

    [Fact]
    public void Server_parameters_round_trip() => TestGen.Check(ParametersGen(server: true), p =>
    {
        byte[] encoded = p.Encode();
        Assert.Equal(p.GetEncodedLength(), encoded.Length);
        Assert.True(TransportParameters.TryDecode(encoded, sentByServer: true, out TransportParameters? decoded, out string? error), error);
        AssertSame(p, decoded);
        return true;
    });

    [Fact]
    public void Client_parameters_round_trip() => TestGen.Check(ParametersGen(server: false), p =>
    {
        Assert.True(TransportParameters.TryDecode(p.Encode(), sentByServer: false, out TransportParameters? decoded, out string? error), error);
        AssertSame(p, decoded);
        return true;
    });

    private static byte[] WithIsCid(string hex) => [.. TestGen.Hex(hex), .. TestGen.Hex("0f 00")];

    [Theory]
    [InlineData("03 02 44af", false)]            // max_udp_payload_size 1199
    [InlineData("0a 01 15", false)]              // ack_delay_exponent 21
    [InlineData("0b 04 80004000", false)]        // max_ack_delay 2^14
    [InlineData("0e 01 01", false)]              // active_connection_id_limit 1
    [InlineData("08 08 d000000000000001", false)] // initial_max_streams_bidi 2^60 + 1
    [InlineData("09 08 d000000000000001", false)] // initial_max_streams_uni 2^60 + 1
    [InlineData("0c 01 00", false)]              // disable_active_migration with a value
    [InlineData("04 02 0102", false)]            // integer with a trailing byte
    [InlineData("04 02 40", false)]              // integer value truncated inside its length
    [InlineData("04 00", false)]                 // integer with no bytes
    [InlineData("04 01 01 04 01 02", false)]     // duplicate
    [InlineData("4abc 00 4abc 01 07", false)]    // duplicate of an unknown (GREASE-style) parameter
    [InlineData("00 00", false)]                 // original_destination_connection_id from a client
    [InlineData("02 10 00112233445566778899aabbccddeeff", false)] // stateless_reset_token from a client
    [InlineData("10 00", false)]                 // retry_source_connection_id from a client
    [InlineData("00 00 02 0f 00112233445566778899aabbccddee", true)] // reset token of 15 bytes
    [InlineData("00 15 000102030405060708090a0b0c0d0e0f1011121314", true)] // 21-byte connection ID
    [InlineData("04 05 01", false)]              // value runs past the end
    [InlineData("4004", false)]                  // id truncated
    [InlineData("11 03 000001", false)]          // version_information not a multiple of 4
    [InlineData("11 04 00000000", false)]        // Chosen Version 0
    [InlineData("11 08 00000001 00000000", false)] // Available Version 0
    [InlineData("11 08 00000001 6b3343cf", false)] // client's Chosen Version not among its Available Versions
    public void Invalid_parameters_are_transport_parameter_errors(string hex, bool sentByServer)
    {
        byte[] data = WithIsCid(hex); // server cases carry their own original_destination_connection_id
        Assert.False(TransportParameters.TryDecode(data, sentByServer, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
        var e = Assert.Throws<TransportParameterException>(() => TransportParameters.Decode(data, sentByServer));
        Assert.Equal(TransportErrorCode.TransportParameterError, e.ErrorCode);
    }

    [Fact]
    public void Preferred_address_with_zero_length_connection_id_is_an_error()
    {
        // 4+2 IPv4, 16+2 IPv6, CID length 0, 16-byte token = 41 bytes.
        byte[] pa = [.. TestGen.Hex("c0000201 1f90"), .. new byte[18], 0, .. new byte[16]];
        byte[] data = [.. TestGen.Hex("0d"), (byte)pa.Length, .. pa, .. TestGen.Hex("00 00 0f 00")];
        Assert.False(TransportParameters.TryDecode(data, true, out _, out string? error));
        Assert.Contains("zero-length", error);
    }

    [Fact]
    public void Required_parameters_must_be_present()
    {
        Assert.False(TransportParameters.TryDecode([], false, out _, out string? error));
        Assert.Contains("initial_source_connection_id", error);
        Assert.False(TransportParameters.TryDecode(TestGen.Hex("0f 00"), true, out _, out error));
        Assert.Contains("original_destination_connection_id", error);
        Assert.True(TransportParameters.TryDecode(TestGen.Hex("00 00 0f 00"), true, out _, out _));
    }

    [Fact]
    public void Unknown_and_grease_parameters_are_ignored_and_server_may_list_no_available_versions()
    {
        // 0x1b = 31*0+27 (GREASE) with 3 bytes, 0x4041 (unknown, 65) empty, 0x20 max_datagram_frame_size 1200,
        // version_information from a server with no Available Versions (RFC 9368 §5 allows that).
        byte[] data = TestGen.Hex("1b 03 010203 4041 00 20 02 44b0 11 04 00000001 00 00 0f 00");
        Assert.True(TransportParameters.TryDecode(data, true, out TransportParameters? p, out string? error), error);
        Assert.Equal(1200UL, p.MaxDatagramFrameSize);
        Assert.Equal(1U, p.VersionInformation!.ChosenVersion);
        Assert.Empty(p.VersionInformation.AvailableVersions);
        // RFC 9000 §7.4: any parameter repeated, unknown ones included, is a TRANSPORT_PARAMETER_ERROR.
        Assert.False(TransportParameters.TryDecode(TestGen.Hex("1b 00 1b 00 0f 00"), false, out _, out _));
    }

    [Fact]
    public void Grease_parameter_uses_a_reserved_id()
    {
        var p = new TransportParameters { InitialSourceConnectionId = ConnectionId.Empty, IncludeGreaseParameter = true };
        byte[] encoded = p.Encode();
        // initial_source_connection_id (0f 00) then the GREASE parameter: a 4-byte id, length 4, 4 bytes.
        Assert.Equal(2 + 9, encoded.Length);
        ulong id = VarInt.Read(encoded.AsSpan(2), out int n);
        Assert.Equal(4, n);
        Assert.Equal(0UL, (id - 27) % 31);
        Assert.InRange(id, 16384UL, (1UL << 30) - 1);
    }

    [Fact]
    public void Setters_reject_out_of_range_values()
    {
        var p = new TransportParameters();
        Assert.Throws<ArgumentOutOfRangeException>(() => p.MaxUdpPayloadSize = 1199);
        Assert.Throws<ArgumentOutOfRangeException>(() => p.AckDelayExponent = 21);
        Assert.Throws<ArgumentOutOfRangeException>(() => p.MaxAckDelayMs = 1 << 14);
        Assert.Throws<ArgumentOutOfRangeException>(() => p.ActiveConnectionIdLimit = 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => p.InitialMaxStreamsBidi = FrameRules.MaxStreamCount + 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => p.InitialMaxData = VarInt.MaxValue + 1);
        Assert.Throws<ArgumentException>(() => p.StatelessResetToken = new byte[15]);
        Assert.Throws<ArgumentException>(() => new VersionInformation(0, 1));
    }

    [Fact]
    public void Mutated_parameter_blocks_never_throw()
    {
        var server = new TransportParameters
        {
            OriginalDestinationConnectionId = new ConnectionId(TestGen.Hex("8394c8f03e515708")),
            InitialSourceConnectionId = new ConnectionId(TestGen.Hex("f067a5502a4262b5")),
            RetrySourceConnectionId = new ConnectionId(TestGen.Hex("0102")),
            StatelessResetToken = TestGen.RandomBytes(1, 16),
            PreferredAddress = new PreferredAddress
            {
                IPv4Endpoint = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 443),
                IPv6Endpoint = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 443),
                ConnectionId = new ConnectionId(TestGen.Hex("aabbccdd")),
                StatelessResetToken = TestGen.RandomBytes(2, 16),
            },
            MaxIdleTimeoutMs = 30000, InitialMaxData = 1 << 20, InitialMaxStreamsBidi = 100, AckDelayExponent = 10,
            MaxAckDelayMs = 100, DisableActiveMigration = true, ActiveConnectionIdLimit = 8, MaxDatagramFrameSize = 65535,
            VersionInformation = new VersionInformation(1, 1, 0x6b3343cf),
        };
        byte[][] corpus = [server.Encode(), Rfc9001ClientParameters];
        var random = new Random(5);
        int ok = 0, bad = 0;
        for (int i = 0; i < 4000; i++)
        {
            byte[] input = Mutator.Mutate(corpus[random.Next(corpus.Length)], random);
            if (TransportParameters.TryDecode(input, random.Next(2) == 0, out TransportParameters? p, out string? error))
            {
                ok++;
                Assert.True(TransportParameters.TryDecode(p.Encode(), true, out _, out _) || p.OriginalDestinationConnectionId is null);
            }
            else
            {
                bad++;
                Assert.NotNull(error);
            }
        }
        Assert.True(ok > 100 && bad > 1000, $"ok {ok}, bad {bad}");
    }
}
