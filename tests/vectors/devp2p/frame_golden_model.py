# Independent Python model of go-ethereum p2p/rlpx frame writing (rlpx.go hashMAC + sessionState),
# to produce a golden frame for the C++ tests.
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
RC=[0x0000000000000001,0x0000000000008082,0x800000000000808A,0x8000000080008000,0x000000000000808B,0x0000000080000001,0x8000000080008081,0x8000000000008009,0x000000000000008A,0x0000000000000088,0x0000000080008009,0x000000008000000A,0x000000008000808B,0x800000000000008B,0x8000000000008089,0x8000000000008003,0x8000000000008002,0x8000000000000080,0x000000000000800A,0x800000008000000A,0x8000000080008081,0x8000000000008080,0x0000000080000001,0x8000000080008008]
ROT=[[0,36,3,41,18],[1,44,10,45,2],[62,6,43,15,61],[28,55,25,21,56],[27,20,39,8,14]]
M=(1<<64)-1
def rol(x,n): return ((x<<n)|(x>>(64-n)))&M if n else x
def f(A):
    for rc in RC:
        C=[A[x][0]^A[x][1]^A[x][2]^A[x][3]^A[x][4] for x in range(5)]
        D=[C[(x-1)%5]^rol(C[(x+1)%5],1) for x in range(5)]
        A=[[A[x][y]^D[x] for y in range(5)] for x in range(5)]
        B=[[0]*5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                B[y][(2*x+3*y)%5]=rol(A[x][y],ROT[x][y])
        A=[[B[x][y]^((~B[(x+1)%5][y])&B[(x+2)%5][y]) for y in range(5)] for x in range(5)]
        A[0][0]^=rc
    return A
def keccak256(data):
    rate=136
    p=bytearray(data)+b'\x01'
    while len(p)%rate: p+=b'\x00'
    p[-1]|=0x80
    A=[[0]*5 for _ in range(5)]
    for off in range(0,len(p),rate):
        blk=p[off:off+rate]
        for i in range(rate//8):
            x,y=i%5,i//5
            A[x][y]^=int.from_bytes(blk[8*i:8*i+8],'little')
        A=f(A)
    out=b''
    for i in range(4):
        out+=A[i%5][i//5].to_bytes(8,'little')
    return out
assert keccak256(b'').hex()=='c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470'
class HashMAC:
    def __init__(s,key,seed): s.acc=bytearray(seed); s.aes=Cipher(algorithms.AES(key),modes.ECB()).encryptor()
    def sum(s): return keccak256(bytes(s.acc))
    def compute(s,sum1,seed):
        a=s.aes.update(sum1[:16]); a=bytes(x^y for x,y in zip(a,seed[:16])); s.acc+=a; return s.sum()[:16]
    def header(s,h): return s.compute(s.sum(),h)
    def frame(s,data): s.acc+=data; seed=s.sum(); return s.compute(seed,seed[:16])
def rlp_uint(v):
    if v==0: return b'\x80'
    if v<0x80: return bytes([v])
    b=v.to_bytes((v.bit_length()+7)//8,'big'); return bytes([0x80+len(b)])+b
aes_secret=keccak256(b'aes'); mac_secret=keccak256(b'mac')
enc=Cipher(algorithms.AES(aes_secret),modes.CTR(b'\x00'*16)).encryptor()
egress=HashMAC(mac_secret,b'egress-seed')
out=b''
for code,payload in [(0x10,b'hello golden frame'),(0x8000,b'x'*40)]:
    frame=rlp_uint(code)+payload
    fsize=len(frame)
    header=fsize.to_bytes(3,'big')+bytes([0xc2,0x80,0x80])+b'\x00'*10
    header=enc.update(header)
    out+=header+egress.header(header)
    pad=(16-fsize%16)%16
    body=enc.update(frame+b'\x00'*pad)
    out+=body+egress.frame(body)
print(out.hex())
