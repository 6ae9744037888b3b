using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Endpoint;

namespace Transport.Quic.Tests.Endpoint;

public class AddressValidationTokenTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.7");
    private static readonly IPAddress Other = IPAddress.Parse("192.0.2.8");
    private static readonly byte[] Odcid = Convert.FromHexString("8394c8f03e515708");
    private static readonly byte[] RetryScid = Convert.FromHexString("f067a5502a4262b5");
    private static readonly Instant T0 = Instant.FromMilliseconds(1_000_000);

    private static AddressValidationTokenProtector NewProtector(byte seed = 1) =>
        new(Enumerable.Repeat(seed, 32).ToArray(), TimeSpan.FromSeconds(10), TimeSpan.FromHours(24), TimeSpan.Zero);

    private static byte[] RetryToken(AddressValidationTokenProtector p, Instant now, IPAddress address, byte[]? odcid = null, byte[]? scid = null)
    {
        var token = new byte[AddressValidationTokenProtector.RetryTokenLength];
        Assert.True(p.TryWriteRetryToken(token, now, address, odcid ?? Odcid, scid ?? RetryScid, out int n));
        Assert.Equal(token.Length, n);
        return token;
    }

    private static byte[] NewToken(AddressValidationTokenProtector p, Instant now, IPAddress address)
    {
        var token = new byte[AddressValidationTokenProtector.NewTokenLength];
        Assert.True(p.TryWriteNewToken(token, now, address, out int n));
        Assert.Equal(token.Length, n);
        return token;
    }

    [Fact]
    public void Retry_token_round_trips_with_its_connection_ids()
    {
        using var p = NewProtector();
        byte[] token = RetryToken(p, T0, Client);
        Assert.Equal((byte)AddressValidationTokenKind.Retry, token[0]);
        var r = p.Validate(token, T0 + TimeSpan.FromSeconds(3), Client, AddressValidationTokenKind.Retry);
        Assert.Equal(AddressValidationTokenStatus.Valid, r.Status);
        Assert.True(r.IsValid);
        Assert.Equal(AddressValidationTokenKind.Retry, r.Kind);
        Assert.Equal(T0, r.IssuedAt);
        Assert.Equal(new ConnectionId(Odcid), r.OriginalDestinationConnectionId);
        Assert.Equal(new ConnectionId(RetryScid), r.RetrySourceConnectionId);
    }

    [Fact]
    public void New_token_round_trips_and_carries_no_connection_id()
    {
        using var p = NewProtector();
        byte[] token = NewToken(p, T0, Client);
        Assert.Equal((byte)AddressValidationTokenKind.NewToken, token[0]);
        var r = p.Validate(token, T0 + TimeSpan.FromHours(23), Client);
        Assert.Equal(AddressValidationTokenStatus.Valid, r.Status);
        Assert.Equal(AddressValidationTokenKind.NewToken, r.Kind);
        Assert.Equal(0, r.OriginalDestinationConnectionId.Length);
        Assert.Equal(0, r.RetrySourceConnectionId.Length);
    }

    [Fact]
    public void Tokens_for_the_same_client_are_unlinkable()
    {
        using var p = NewProtector();
        byte[] a = NewToken(p, T0, Client), b = NewToken(p, T0, Client);
        Assert.Equal(a.AsSpan(0, 2).ToArray(), b.AsSpan(0, 2).ToArray());
        Assert.False(a.AsSpan(2).SequenceEqual(b.AsSpan(2)));
    }

    [Fact]
    public void Expiry_is_per_kind()
    {
        using var p = NewProtector();
        byte[] retry = RetryToken(p, T0, Client);
        Assert.Equal(AddressValidationTokenStatus.Valid, p.Validate(retry, T0 + TimeSpan.FromSeconds(10), Client).Status);
        var expired = p.Validate(retry, T0 + TimeSpan.FromSeconds(10) + TimeSpan.FromTicks(1), Client);
        Assert.Equal(AddressValidationTokenStatus.Expired, expired.Status);
        Assert.Equal(AddressValidationTokenKind.Retry, expired.Kind); // authentic, so the kind is known

        byte[] newToken = NewToken(p, T0, Client);
        Assert.Equal(AddressValidationTokenStatus.Valid, p.Validate(newToken, T0 + TimeSpan.FromHours(24), Client).Status);
        Assert.Equal(AddressValidationTokenStatus.Expired, p.Validate(newToken, T0 + TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1), Client).Status);
    }

    [Fact]
    public void Tokens_from_the_future_are_expired_unless_within_the_skew_tolerance()
    {
        using var p = NewProtector();
        byte[] token = NewToken(p, T0, Client);
        Assert.Equal(AddressValidationTokenStatus.Expired, p.Validate(token, T0 - TimeSpan.FromMilliseconds(1), Client).Status);
        using var tolerant = new AddressValidationTokenProtector(Enumerable.Repeat((byte)1, 32).ToArray(),
            TimeSpan.FromSeconds(10), TimeSpan.FromHours(24), TimeSpan.FromSeconds(2));
        Assert.Equal(AddressValidationTokenStatus.Valid, tolerant.Validate(token, T0 - TimeSpan.FromSeconds(1), Client).Status);
        Assert.Equal(AddressValidationTokenStatus.Expired, tolerant.Validate(token, T0 - TimeSpan.FromSeconds(3), Client).Status);
    }

    [Fact]
    public void Address_is_bound_but_not_the_port_and_ipv4_mapped_is_the_same_address()
    {
        using var p = NewProtector();
        byte[] token = RetryToken(p, T0, Client);
        Assert.Equal(AddressValidationTokenStatus.WrongAddress, p.Validate(token, T0, Other).Status);
        Assert.Equal(AddressValidationTokenStatus.WrongAddress, p.Validate(token, T0, IPAddress.Parse("2001:db8::7")).Status);
        Assert.Equal(AddressValidationTokenStatus.Valid, p.Validate(token, T0, Client.MapToIPv6()).Status);
        // Socket addresses as the UDP driver hands them out: the port does not matter.
        Assert.Equal(AddressValidationTokenStatus.Valid, p.Validate(token, T0, new IPEndPoint(Client, 1111).Serialize()).Status);
        Assert.Equal(AddressValidationTokenStatus.Valid, p.Validate(token, T0, new IPEndPoint(Client.MapToIPv6(), 2222).Serialize()).Status);
        Assert.Equal(AddressValidationTokenStatus.WrongAddress, p.Validate(token, T0, new IPEndPoint(Other, 1111).Serialize()).Status);

        var v6 = IPAddress.Parse("2001:db8::1");
        var tokenV6 = new byte[AddressValidationTokenProtector.NewTokenLength];
        Assert.True(p.TryWriteNewToken(tokenV6, T0, new IPEndPoint(v6, 443).Serialize(), out _));
        Assert.Equal(AddressValidationTokenStatus.Valid, p.Validate(tokenV6, T0, v6).Status);
        Assert.Equal(AddressValidationTokenStatus.WrongAddress, p.Validate(tokenV6, T0, IPAddress.Parse("2001:db8::2")).Status);
    }

    [Fact]
    public void Wrong_kind_is_reported_only_when_a_kind_is_expected()
    {
        using var p = NewProtector();
        byte[] retry = RetryToken(p, T0, Client), newToken = NewToken(p, T0, Client);
        Assert.Equal(AddressValidationTokenStatus.WrongKind, p.Validate(retry, T0, Client, AddressValidationTokenKind.NewToken).Status);
        Assert.Equal(AddressValidationTokenStatus.WrongKind, p.Validate(newToken, T0, Client, AddressValidationTokenKind.Retry).Status);
        Assert.Equal(AddressValidationTokenStatus.Valid, p.Validate(newToken, T0, Client, AddressValidationTokenKind.NewToken).Status);
    }

    [Fact]
    public void Missing_and_malformed_tokens()
    {
        using var p = NewProtector();
        Assert.Equal(AddressValidationTokenStatus.Missing, p.Validate(ReadOnlySpan<byte>.Empty, T0, Client).Status);
        Assert.Equal(AddressValidationTokenStatus.Missing, default(AddressValidationTokenResult).Status);
        Assert.Equal(AddressValidationTokenStatus.Malformed, p.Validate(new byte[] { 0x52 }, T0, Client).Status);
        byte[] token = RetryToken(p, T0, Client);
        Assert.Equal(AddressValidationTokenStatus.Malformed, p.Validate(token.AsSpan(0, token.Length - 1), T0, Client).Status);
        Assert.Equal(AddressValidationTokenStatus.Malformed, p.Validate(token.Append((byte)0).ToArray(), T0, Client).Status);
        token[0] = 0x99;
        Assert.Equal(AddressValidationTokenStatus.Malformed, p.Validate(token, T0, Client).Status);
        // A Retry token relabelled as NEW_TOKEN has the wrong length for that kind.
        token[0] = (byte)AddressValidationTokenKind.NewToken;
        Assert.Equal(AddressValidationTokenStatus.Malformed, p.Validate(token, T0, Client).Status);
    }

    [Fact]
    public void Every_flipped_bit_is_rejected_as_forged_or_malformed()
    {
        using var p = NewProtector();
        foreach (byte[] original in new[] { RetryToken(p, T0, Client), NewToken(p, T0, Client) })
        {
            for (int i = 0; i < original.Length; i++)
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] t = (byte[])original.Clone();
                t[i] ^= (byte)(1 << bit);
                var r = p.Validate(t, T0, Client);
                Assert.True(r.Status is AddressValidationTokenStatus.Forged or AddressValidationTokenStatus.Malformed, $"byte {i} bit {bit}: {r}");
                Assert.Equal(AddressValidationTokenKind.None, r.Kind);
            }
        }
    }

    [Fact]
    public void Another_servers_key_is_forged()
    {
        using var a = NewProtector(1);
        using var b = NewProtector(2);
        byte[] token = RetryToken(a, T0, Client);
        Assert.Equal(AddressValidationTokenStatus.Forged, b.Validate(token, T0, Client).Status);
    }

    [Fact]
    public void Rotation_keeps_the_previous_key_for_checking_only()
    {
        using var p = NewProtector();
        byte[] old = NewToken(p, T0, Client);
        Assert.Equal(0, p.CurrentKeyId);
        p.RotateKey(Enumerable.Repeat((byte)7, 32).ToArray());
        Assert.Equal(1, p.CurrentKeyId);
        byte[] fresh = NewToken(p, T0, Client);
        Assert.Equal(1, fresh[1]);
        Assert.Equal(AddressValidationTokenStatus.Valid, p.Validate(old, T0, Client).Status);
        Assert.Equal(AddressValidationTokenStatus.Valid, p.Validate(fresh, T0, Client).Status);
        p.RotateKey();
        Assert.Equal(AddressValidationTokenStatus.Forged, p.Validate(old, T0, Client).Status);
        Assert.Equal(AddressValidationTokenStatus.Valid, p.Validate(fresh, T0, Client).Status);
    }

    [Fact]
    public void Format_matches_an_independent_decryption()
    {
        // kind | key id | IV | AES-256-CTR(HKDF key "...aes") | HMAC-SHA256(HKDF key "...hmac")[..16], as documented.
        byte[] master = Enumerable.Repeat((byte)1, 32).ToArray();
        using var p = NewProtector();
        byte[] token = RetryToken(p, T0, Client);
        byte[] encKey = new byte[32], macKey = new byte[32];
        System.Security.Cryptography.HKDF.DeriveKey(System.Security.Cryptography.HashAlgorithmName.SHA256, master, encKey, [], "quic address validation token aes"u8);
        System.Security.Cryptography.HKDF.DeriveKey(System.Security.Cryptography.HashAlgorithmName.SHA256, master, macKey, [], "quic address validation token hmac"u8);
        byte[] mac = System.Security.Cryptography.HMACSHA256.HashData(macKey, token.AsSpan(0, token.Length - 16));
        Assert.Equal(mac.AsSpan(0, 16).ToArray(), token.AsSpan(token.Length - 16).ToArray());

        using var aes = System.Security.Cryptography.Aes.Create();
        aes.Key = encKey;
        byte[] counters = new byte[80];
        var counter = new System.Numerics.BigInteger(token.AsSpan(2, 16), isUnsigned: true, isBigEndian: true);
        for (int b = 0; b < 5; b++)
        {
            byte[] block = ((counter + b) % System.Numerics.BigInteger.Pow(2, 128)).ToByteArray(isUnsigned: true, isBigEndian: true);
            block.CopyTo(counters, b * 16 + 16 - block.Length);
        }
        byte[] keystream = aes.EncryptEcb(counters, System.Security.Cryptography.PaddingMode.None);
        byte[] plain = token.AsSpan(18, 80).ToArray();
        for (int i = 0; i < 80; i++) plain[i] ^= keystream[i];

        Assert.Equal(T0.Ticks, System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(plain));
        Assert.Equal(Client.MapToIPv6().GetAddressBytes(), plain.AsSpan(8, 16).ToArray());
        Assert.Equal(8, plain[24]);
        Assert.Equal(Odcid, plain.AsSpan(25, 8).ToArray());
        Assert.Equal(8, plain[45]);
        Assert.Equal(RetryScid, plain.AsSpan(46, 8).ToArray());
        Assert.False(token.AsSpan(18, 80).IndexOf(Odcid) >= 0); // the ODCID is not in the clear
    }

    [Fact]
    public void Bad_arguments_throw()
    {
        Assert.Throws<ArgumentException>(() => new AddressValidationTokenProtector(new byte[16], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AddressValidationTokenProtector(new byte[32], TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.Zero));
        using var p = NewProtector();
        Assert.Throws<ArgumentException>(() => p.TryWriteRetryToken(new byte[200], T0, Client, new byte[21], RetryScid, out _));
        Assert.False(p.TryWriteRetryToken(new byte[AddressValidationTokenProtector.RetryTokenLength - 1], T0, Client, Odcid, RetryScid, out _));
        Assert.False(p.TryWriteNewToken(new byte[AddressValidationTokenProtector.NewTokenLength - 1], T0, Client, out _));
    }

    [Fact]
    public void Property_round_trip_for_any_connection_ids_address_and_time()
    {
        using var p = NewProtector();
        var gen =
            from odcid in TestGen.Bytes(0, 20)
            from scid in TestGen.Bytes(0, 20)
            from v6 in Gen.Elements(true, false)
            from addr in TestGen.Bytes(16, 16)
            from ms in Gen.Choose(0, int.MaxValue)
            from age in Gen.Choose(0, 10_000)
            select (odcid, scid, address: v6 ? new IPAddress(addr) : new IPAddress(addr.AsSpan(0, 4)), issued: Instant.FromMilliseconds(ms), age);
        TestGen.Check(gen, c =>
        {
            byte[] token = RetryToken(p, c.issued, c.address, c.odcid, c.scid);
            var r = p.Validate(token, c.issued + TimeSpan.FromMilliseconds(c.age), c.address, AddressValidationTokenKind.Retry);
            return r.IsValid && r.IssuedAt == c.issued
                && r.OriginalDestinationConnectionId.Span.SequenceEqual(c.odcid)
                && r.RetrySourceConnectionId.Span.SequenceEqual(c.scid);
        }, 200);
    }

    [Fact]
    public void Property_random_bytes_are_never_valid_and_never_throw()
    {
        using var p = NewProtector();
        var gen =
            from kind in Gen.Elements<byte>(0x52, 0x4e, 0x00, 0xff)
            from key in Gen.Elements<byte>(0, 1)
            from len in Gen.Elements(0, 1, 2, 17, 65, 66, 67, 113, 114, 115, 300)
            from seed in Gen.Choose(0, int.MaxValue)
            select (kind, key, bytes: TestGen.RandomBytes(seed, len));
        TestGen.Check(gen, c =>
        {
            byte[] t = c.bytes;
            if (t.Length > 0) t[0] = c.kind;
            if (t.Length > 1) t[1] = c.key;
            var r = p.Validate(t, T0, Client);
            return !r.IsValid && r.Kind == AddressValidationTokenKind.None;
        }, 300);
    }
}
