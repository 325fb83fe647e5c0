package wireshark

//go:generate go run ../../internal/wsgen/cmd/wsgen -in ../../rmc/schema/protocols -out nexproxy.lua
