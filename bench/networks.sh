# Sourced by the bench scripts: the layer sections of the networks they
# train, written once so every benchmark runs the same network (and so does
# its PyTorch twin, bench/torch_cnn.py and bench/torch_mlp.py).
#   bench_cnn_layers          conv(1->32, 3x3, pad 1)-ReLU-maxpool-conv(32->64)-ReLU-maxpool-
#                             fc128 ReLU (He init)-fc10 softmax: the bench CNN
#   homework_mlp_layers N     the coursework's MLP: dense 64 sigmoid, dense N softmax
bench_cnn_layers() {
    cat <<INI
[conv1]
type = conv
filters = 32
size = 3
padding = 1
activation = relu
[pool1]
type = maxpool
[conv2]
type = conv
filters = 64
size = 3
padding = 1
activation = relu
[pool2]
type = maxpool
[fc1]
type = dense
units = 128
activation = relu
init = he
[out]
type = dense
units = 10
activation = softmax
INI
}

homework_mlp_layers() {
    cat <<INI
[hidden]
type = dense
units = 64
activation = sigmoid
[output]
type = dense
units = $1
activation = softmax
INI
}
