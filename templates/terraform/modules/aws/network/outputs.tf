output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "cidr" {
  description = "IPv4 range of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "private_subnet_ids" {
  description = "Private subnet per zone, in the plan's zone order."
  value       = [for zone in var.zones : aws_subnet.private[zone].id]
}

output "public_subnet_ids" {
  description = "Public subnet per zone, in the plan's zone order."
  value       = [for zone in var.zones : aws_subnet.public[zone].id]
}
